"""``postprocess=dict(type='pamr')`` on OpenVocabSegmenter and through the mmseg config key."""
import pytest
import torch
import torch.nn.functional as F

from proxyseg.ops import pamr


@pytest.mark.parametrize("method", ["naclip", "clip"])
def test_pamr_applied_to_logits_at_output_size(make_segmenter, method):
    plain = make_segmenter(method=method)
    post = make_segmenter(method=method, postprocess=dict(type="pamr", dilations=(2, 4), iters=3))
    assert post.logit_postprocess.to_dict() == dict(type="pamr", dilations=(2, 4), iters=3)
    torch.manual_seed(0)
    image = torch.randn(3, 48, 80)
    out_size = (60, 100)
    base = plain.predict_logits(image, out_size=out_size)
    got = post.predict_logits(image, out_size=out_size)
    img = F.interpolate(image[None], size=out_size, mode="bilinear", align_corners=False)
    expected = pamr(img, base[None], (2, 4), 3)[0]
    assert got.shape == (plain.query_features.shape[0], *out_size)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    assert (got - base).abs().max() > 1e-4
    assert post.postprocess(got)[1].shape == out_size


def test_default_is_off(make_segmenter):
    assert make_segmenter(method="clip").logit_postprocess is None


def test_mmseg_config_key_reaches_the_model(tmp_path):
    pytest.importorskip("mmseg")
    import proxyseg.mmseg  # noqa: F401  (registers the segmentor)
    from mmseg.registry import MODELS

    from proxyseg.models import tiny_clip_cfg

    names = tmp_path / "cls.txt"
    names.write_text("cat\ndog; puppy\n")
    cfg = dict(type="ProxyCLIPSegmentor", clip=dict(model_cfg=tiny_clip_cfg()), method="naclip",
               name_path=str(names), pretrained=False, text_cache_dir=None, templates="a_photo",
               slide_crop=32, slide_stride=16,
               postprocess=dict(type="pamr", dilations=(2, 4), iters=2))
    torch.manual_seed(0)
    seg = MODELS.build(cfg)
    assert seg.core.logit_postprocess.to_dict() == dict(type="pamr", dilations=(2, 4), iters=2)
    image = torch.randn(3, 40, 56)
    with_pp = seg.core.predict_logits(image)
    seg.core.logit_postprocess = None
    without = seg.core.predict_logits(image)
    assert (with_pp - without).abs().max() > 1e-4
