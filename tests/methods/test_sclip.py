"""SCLIP vs a transcription of wangf3014/SCLIP:clip/model.py (``VisionTransformer.forward`` last
block with ``custom_attn(..., csa=True)``): residual and FFN kept."""
import torch
import torch.nn.functional as F

from proxyseg.methods import build_method

from .conftest import heads, merge


def reference_sclip(block, x):
    q, k, v, scale = heads(block, x)
    attn = (F.softmax(torch.bmm(q, q.transpose(1, 2)) * scale, -1)
            + F.softmax(torch.bmm(k, k.transpose(1, 2)) * scale, -1))
    x = x + block.attn.out_proj(merge(torch.bmm(attn, v), x.shape[0]))
    x = x + block.mlp(block.ln_2(x))
    return x[:, 1:]


def test_last_block_matches_transcription(trunk_out):
    _, x, grid, block = trunk_out
    with torch.no_grad():
        ours, out_grid = build_method("sclip").last_block(block, x, grid=grid)
        ref = reference_sclip(block, x)
    assert out_grid == grid and ours.shape == (2, grid[0] * grid[1], x.shape[-1])
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)


def test_protocol():
    assert build_method("sclip").protocol["logit_scale"] == 50.0
