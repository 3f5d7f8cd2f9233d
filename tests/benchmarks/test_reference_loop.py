"""The upstream-style reference loop computes what proxyseg's fast path computes."""
import pytest
import torch

from proxyseg.benchmarks import ReferenceLoop
from proxyseg.errors import ConfigError

# smaller than a window, exactly one window, non-square, several windows, one side smaller
SIZES = [(40, 50), (64, 64), (100, 77), (96, 130), (30, 200)]


def _images(sizes, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(3, *hw, generator=g) for hw in sizes]


@pytest.mark.parametrize("window_batch", [1, 8])
def test_reference_equals_fast_path(tiny_seg, window_batch):
    tiny_seg.window_batch = window_batch
    ref = ReferenceLoop(tiny_seg)
    try:
        assert torch.allclose(ref.query_features, tiny_seg.query_features, atol=1e-6)  # re-encoded == cached
        for img in _images(SIZES):
            fast = tiny_seg.predict_logits(img)
            slow = ref.predict_logits(img)
            assert fast.shape == slow.shape == (tiny_seg.query_features.shape[0], *img.shape[-2:])
            assert (fast - slow).abs().max() <= 1e-4
            # masks: upstream's one-hot synonym max == proxyseg's scatter_reduce
            assert torch.equal(tiny_seg.postprocess(fast)[1], ref.postprocess(slow))
    finally:
        ref.close()


def test_reference_other_window_schedule_80_templates_and_prob_thd(make_segmenter):
    seg = make_segmenter(classes=("cat; kitty", "dog", "sky"), slide_crop=48, slide_stride=48, prob_thd=0.3,
                         templates="openai_imagenet")
    ref = ReferenceLoop(seg)
    for img in _images([(50, 130), (112, 112)], seed=1):
        fast, slow = seg.predict_logits(img), ref.predict_logits(img)
        assert (fast - slow).abs().max() <= 1e-4
        assert torch.equal(seg.postprocess(fast)[1], ref.postprocess(slow))
    ref.close()


def test_hooks_pile_up_like_upstream_and_close_removes_them(tiny_seg):
    qkv = tiny_seg.vfm.model.blocks[-1].attn.qkv
    before = len(qkv._forward_hooks)
    ref = ReferenceLoop(tiny_seg)
    img = torch.randn(3, 64, 100)  # 3 windows of 64 at stride 32
    ref.predict_logits(img)
    ref.predict_logits(img)
    assert ref.hook_count == 6 and len(qkv._forward_hooks) == before + 6
    with ref.paused():
        assert len(qkv._forward_hooks) == before
    assert len(qkv._forward_hooks) == before + 6
    ref.close()
    assert len(qkv._forward_hooks) == before and ref.hook_count == 0


def test_reference_sdpa_variant_and_text_timing(tiny_seg):
    ref = ReferenceLoop(tiny_seg, dino_attention="sdpa")
    assert ref.text_seconds is not None and ref.text_seconds >= 0
    img = torch.randn(3, 70, 90)
    assert (ref.predict_logits(img) - tiny_seg.predict_logits(img)).abs().max() <= 1e-4
    ref.close()
    with pytest.raises(ConfigError):
        ReferenceLoop(tiny_seg, dino_attention="flash")


def test_reference_only_implements_proxyclip(make_segmenter):
    with pytest.raises(ConfigError, match="proxyclip"):
        ReferenceLoop(make_segmenter(method="maskclip"))
    with pytest.raises(ConfigError, match="feature_adjust"):
        ReferenceLoop(make_segmenter(feature_adjust=True))
