"""ClearCLIP vs a transcription of mc-lan/ClearCLIP:open_clip/transformer.py
(``VisionTransformer.forward`` with model_type='ClearCLIP', ignore_residual=True; ``custom_attn``)."""
import torch
import torch.nn.functional as F

from proxyseg.methods import build_method

from .conftest import heads, merge


def reference_clearclip(block, x):
    q, k, v, scale = heads(block, x)
    attn = F.softmax(torch.bmm(q, q.transpose(1, 2)) * scale, dim=-1)
    return block.attn.out_proj(merge(torch.bmm(attn, v), x.shape[0]))[:, 1:]  # no residual, no FFN


def test_last_block_matches_transcription(trunk_out):
    _, x, grid, block = trunk_out
    with torch.no_grad():
        ours, out_grid = build_method("clearclip").last_block(block, x, grid=grid)
        ref = reference_clearclip(block, x)
    assert out_grid == grid
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)


def test_protocol():
    p = build_method("clearclip").protocol
    assert (p["logit_scale"], p["slide_crop"], p["slide_stride"]) == (50.0, 448, 224)
