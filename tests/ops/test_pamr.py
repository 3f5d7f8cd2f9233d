"""PAMR vs a transcription of visinf/1-stage-wseg:models/mods/pamr.py (as shipped in
sinahmr/NACLIP:pamr.py and wangf3014/SCLIP:pamr.py): shift kernels as 3x3 dilated convolutions."""
import pytest
import torch
import torch.nn.functional as F

from proxyseg.errors import ConfigError
from proxyseg.ops import build_postprocess, pamr


def _kernels(centre: bool, sign: float):
    """Their kernels: 8 (or 9 with the centre) one-hot 3x3 kernels; ``sign=-1`` puts +1 at the centre."""
    pos = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1), (2, 2)]
    if centre:
        pos = pos[:4] + [(1, 1)] + pos[4:]
    w = torch.zeros(len(pos), 1, 3, 3)
    for i, (r, c) in enumerate(pos):
        if sign < 0:
            w[i, 0, 1, 1] = 1
        w[i, 0, r, c] = sign
    return w


def _local(x, w, dilations):
    b, k, h, wd = x.shape
    x = x.reshape(b * k, 1, h, wd)
    outs = [F.conv2d(F.pad(x, [d] * 4, mode="replicate"), w, dilation=d) for d in dilations]
    return torch.cat(outs, 1).view(b, k, -1, h, wd)


def reference_pamr(img, mask, dilations=(8, 16), iters=10):
    std = _local(img, _kernels(True, 1.0), dilations).std(2, keepdim=True)
    aff = -_local(img, _kernels(False, -1.0), dilations).abs() / (1e-8 + 0.1 * std)
    aff = F.softmax(aff.mean(1, keepdim=True), 2)
    for _ in range(iters):
        mask = (_local(mask, _kernels(False, 1.0), dilations) * aff).sum(2)
    return mask


@pytest.mark.parametrize("shape,dil,iters", [((1, 4, 40, 52), (8, 16), 10), ((2, 3, 21, 33), (1, 2), 3),
                                             ((1, 2, 18, 70), (4,), 5)])
def test_matches_transcription(shape, dil, iters):
    g = torch.Generator().manual_seed(sum(shape))
    b, q, h, w = shape
    img = F.avg_pool2d(torch.randn(b, 3, h, w, generator=g), 3, 1, 1) * 3
    logits = torch.randn(b, q, h, w, generator=g)
    ref = reference_pamr(img, logits, dil, iters)
    out = pamr(img, logits, dil, iters)
    assert out.shape == logits.shape and out.dtype == torch.float32
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    assert (out - logits).abs().max() > 0.1  # it did refine


def test_chunking_and_batching_do_not_change_the_result():
    torch.manual_seed(0)
    img, logits = torch.randn(2, 3, 30, 40), torch.randn(2, 7, 30, 40)
    full = pamr(img, logits, iters=4)
    chunked = pamr(img, logits, iters=4, chunk_bytes=1)  # one query at a time
    torch.testing.assert_close(full, chunked, rtol=0, atol=1e-6)
    torch.testing.assert_close(full[1:], pamr(img[1:], logits[1:], iters=4), rtol=0, atol=1e-6)


def test_constant_logits_and_uniform_image_stay_finite():
    img = torch.ones(1, 3, 20, 20)
    logits = torch.full((1, 2, 20, 20), 0.3)
    out = pamr(img, logits)
    assert torch.isfinite(out).all() and torch.allclose(out, logits)
    assert torch.equal(pamr(torch.randn(1, 3, 8, 8), logits[..., :8, :8], iters=0), logits[..., :8, :8])


def test_bad_inputs_name_the_problem():
    with pytest.raises(ConfigError, match="differ in batch or size"):
        pamr(torch.randn(1, 3, 10, 10), torch.randn(1, 2, 12, 10))
    with pytest.raises(ConfigError, match=r"\(B, 3, H, W\)"):
        pamr(torch.randn(3, 10, 10), torch.randn(2, 10, 10))
    with pytest.raises(ConfigError, match="dilations must be positive"):
        build_postprocess(dict(type="pamr", dilations=(0, 8)))
    with pytest.raises(ConfigError, match="iters"):
        build_postprocess(dict(type="pamr", iters=-1))
    with pytest.raises(ConfigError, match="did you mean 'pamr'"):
        build_postprocess(dict(type="pamrr"))
    with pytest.raises(ConfigError, match="postprocess 'pamr'"):
        build_postprocess(dict(type="pamr", steps=3))


def test_registry_round_trip():
    p = build_postprocess(dict(type="pamr", dilations=[4, 8], iters=3))
    assert p.to_dict() == dict(type="pamr", dilations=(4, 8), iters=3)
    assert build_postprocess(None) is None and build_postprocess(p) is p
