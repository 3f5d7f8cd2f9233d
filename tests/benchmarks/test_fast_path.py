"""Fast-path properties: batching and the fused merge do not change results; bf16 autocast agrees."""
import functools

import pytest
import torch

from proxyseg.errors import ConfigError
from proxyseg.ops.slide import slide_inference

SIZES = [(40, 50), (64, 64), (100, 77), (96, 130), (30, 200)]


@pytest.mark.parametrize("hw", SIZES)
def test_batched_windows_equal_one_at_a_time(tiny_seg, hw):
    img = torch.randn(3, *hw, generator=torch.Generator().manual_seed(hw[0]))
    tiny_seg.window_batch = 1
    one = tiny_seg.predict_logits(img)
    tiny_seg.window_batch = 16
    many = tiny_seg.predict_logits(img)
    assert (one - many).abs().max() <= 1e-5


@pytest.mark.parametrize("hw", [(64, 64), (100, 77), (30, 200)])
def test_fused_merge_equals_resizing_each_window(tiny_seg, hw):
    """Resizing while merging (Rh @ L @ Rw^T into the crop) == F.interpolate per window, then merge."""
    img = torch.randn(3, *hw)
    kw = dict(crop=(64, 64), stride=(32, 32), pad_multiple=tiny_seg.pad_multiple, window_batch=4)
    with torch.inference_mode():
        plain = slide_inference(img, tiny_seg.forward_windows, **kw)
        fused = slide_inference(img, functools.partial(tiny_seg.forward_windows, resize=False),
                                resize_windows=True, **kw)
    assert (plain - fused).abs().max() <= 1e-6


def test_fused_merge_with_padding_on_synthetic_logits():
    # a "model" whose coarse logits are a known function: 3 queries on a grid of 1/4 resolution
    def coarse(x):
        return torch.nn.functional.avg_pool2d(x, 4)

    def full(x):
        return torch.nn.functional.interpolate(coarse(x), size=x.shape[-2:], mode="bilinear", align_corners=False)

    img = torch.randn(3, 37, 53)
    kw = dict(crop=(22, 22), stride=(10, 10), pad_multiple=8, window_batch=3)  # windows padded 22 -> 24
    a = slide_inference(img, full, **kw)
    b = slide_inference(img, coarse, resize_windows=True, **kw)
    assert (a - b).abs().max() <= 1e-6


def test_bf16_autocast_agrees_with_fp32(tiny_seg):
    g = torch.Generator().manual_seed(3)
    imgs = [torch.randn(3, 96, 130, generator=g), torch.randn(3, 64, 64, generator=g)]
    same = total = 0
    for img in imgs:
        tiny_seg.amp = None
        ref = tiny_seg.postprocess(tiny_seg.predict_logits(img))[1]
        for amp_clip in (False, True):
            tiny_seg.amp, tiny_seg.amp_clip = "bf16", amp_clip
            logits = tiny_seg.predict_logits(img)
            assert logits.dtype == torch.float32 and torch.isfinite(logits).all()
            same += int((tiny_seg.postprocess(logits)[1] == ref).sum())
            total += ref.numel()
    tiny_seg.amp, tiny_seg.amp_clip = None, False
    assert 100.0 * same / total >= 99.0


def test_amp_values(tiny_seg):
    for value in (None, "fp32", "bf16", "fp16"):
        tiny_seg.amp = value
    assert tiny_seg.amp == "fp16"
    tiny_seg.amp = "fp32"
    assert tiny_seg.amp is None
    with pytest.raises(ConfigError):
        tiny_seg.amp = "int8"
