"""A shared pass gives every model exactly what its own predict_logits gives."""
import pytest
import torch

from proxyseg.errors import ConfigError
from proxyseg.models import OpenVocabSegmenter, build_vfm
from proxyseg.models.shared_pass import SharedPass


@pytest.fixture(scope="module")
def second_vfm():
    torch.manual_seed(3)
    return build_vfm(dict(type="dino", arch="b16", model_kwargs=dict(embed_dim=48, depth=2, num_heads=3)),
                     pretrained=False)


def test_bit_identical_to_each_model_alone(make_segmenter, tiny_clip, second_vfm):
    models = [
        make_segmenter(method=dict(type="proxyclip", beta=1.2, gamma=3.0)),
        make_segmenter(method=dict(type="proxyclip", beta=0.8, gamma=2.0), logit_scale=50, prob_thd=0.3),
        make_segmenter(method="clip"),
        make_segmenter(method="maskclip", feature_adjust=True),
        make_segmenter(method="sclip"),
        make_segmenter(method="clearclip", classes=("road", "tree; bush")),
        OpenVocabSegmenter(tiny_clip[0], tiny_clip[1], second_vfm, classes=["a", "b"], method="proxyclip",
                           slide_crop=64, slide_stride=32, templates="a_photo").eval(),
    ]
    torch.manual_seed(0)
    image = torch.randn(3, 80, 112)
    shared = SharedPass(models).predict_logits(image, out_size=(90, 120))
    assert len(shared) == len(models)
    for m, lg in zip(models, shared):
        alone = m.predict_logits(image, out_size=(90, 120))
        assert torch.equal(lg, alone), m.method
    probs = SharedPass(models).predict(image)
    assert all(torch.equal(p[1], m.predict(image)[1]) for p, m in zip(probs, models))


def test_trunk_and_each_vfm_run_once_per_window_batch(make_segmenter, monkeypatch):
    models = [make_segmenter(method=dict(type="proxyclip", beta=b)) for b in (1.0, 1.2, 1.4)]
    models.append(make_segmenter(method="clip"))
    calls = {"trunk": 0, "vfm": 0}
    clip, vfm = models[0].clip, models[0].vfm
    real_trunk, real_vfm = clip.trunk, type(vfm).forward

    def count_trunk(*a, **k):
        calls["trunk"] += 1
        return real_trunk(*a, **k)

    def count_vfm(self, *a, **k):
        calls["vfm"] += 1
        return real_vfm(self, *a, **k)

    monkeypatch.setattr(clip, "trunk", count_trunk)
    monkeypatch.setattr(type(vfm), "forward", count_vfm)
    SharedPass(models).predict_logits(torch.randn(3, 64, 64))  # one window, one batch
    assert calls == {"trunk": 1, "vfm": 1}


def test_models_that_see_other_windows_are_refused(make_segmenter):
    with pytest.raises(ConfigError, match="model 1 cannot share a pass with model 0: different slide_crop"):
        SharedPass([make_segmenter(), make_segmenter(slide_crop=48)])
