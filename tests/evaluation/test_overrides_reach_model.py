"""A config override reaches the BUILT model and changes its output (the model is checked, not an
echo of the config)."""
import pytest
import torch

from .conftest import SMOKE_OBJ


def _build(opts):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    import proxyseg.mmseg  # noqa: F401

    init_default_scope("mmseg")
    cfg = Config.fromfile(str(SMOKE_OBJ))
    cfg.merge_from_dict(opts)
    torch.manual_seed(0)  # same random weights for every build: only the override differs
    return MODELS.build(cfg.model).eval()


def _predict(model):
    torch.manual_seed(1)
    image = torch.randn(3, 72, 88)
    out = model.predict([image])[0]
    return out.seg_logits.data, out.pred_sem_seg.data


@pytest.fixture(scope="module")
def base():
    model = _build({})
    return model, _predict(model)


@pytest.mark.parametrize("opts,check", [
    ({"model.beta": 0.5}, lambda m: m.core.method.beta == 0.5),
    ({"model.gamma": 9.0}, lambda m: m.core.method.gamma == 9.0),
    ({"model.method": "maskclip"}, lambda m: m.core.method.name == "maskclip" and m.core.vfm is None),
    ({"model.vfm.arch": "b16"}, lambda m: m.core.vfm.arch == "b16" and m.core.vfm.patch_size == 16),
    ({"model.slide_crop": 48, "model.slide_stride": 16}, lambda m: (m.core.slide_crop, m.core.slide_stride) == (48, 16)),
    ({"model.prob_thd": 0.9}, lambda m: m.core.prob_thd == 0.9),
])
def test_override_reaches_model_and_changes_output(base, opts, check):
    model0, (logits0, pred0) = base
    model = _build(opts)
    assert check(model), opts
    logits, pred = _predict(model)
    if "model.prob_thd" in opts:  # a threshold moves pixels to background, logits unchanged
        assert torch.equal(logits, logits0) and not torch.equal(pred, pred0)
        assert (pred == 0).sum() > (pred0 == 0).sum()
    else:
        assert not torch.allclose(logits, logits0), opts
