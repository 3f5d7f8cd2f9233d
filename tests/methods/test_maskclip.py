"""MaskCLIP vs a transcription of chongzhou96/MaskCLIP:mmseg/models/backbones/vit.py
(``TransformerEncoderLayer.forward`` with return_qkv: ``v = out_proj(v); v += x;
v = ffn(norm2(v), identity=v)``; then ``final_norm`` and the head's 1x1 ``proj``)."""
import torch
import torch.nn.functional as F

from proxyseg.methods import build_method


def reference_maskclip(block, x):
    y = F.linear(block.ln_1(x), block.attn.in_proj_weight, block.attn.in_proj_bias)
    b, n, c3 = y.shape
    _, _, v = y.view(b, n, 3, c3 // 3).permute(2, 0, 1, 3)  # their q, k, v split
    v = block.attn.out_proj(v) + x  # out_proj on v, residual kept
    v = v + block.mlp(block.ln_2(v))  # FFN with identity
    return v[:, 1:]


def test_last_block_matches_transcription(trunk_out):
    _, x, grid, block = trunk_out
    with torch.no_grad():
        ours, out_grid = build_method("maskclip").last_block(block, x, grid=grid)
        ref = reference_maskclip(block, x)
    assert out_grid == grid
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)


def test_differs_from_the_variant_without_residual_and_ffn(trunk_out):
    _, x, grid, block = trunk_out
    with torch.no_grad():
        ours = build_method("maskclip").last_block(block, x, grid=grid)[0]
        bare = F.linear(block.ln_1(x), block.attn.in_proj_weight, block.attn.in_proj_bias).chunk(3, -1)[2]
        bare = block.attn.out_proj(bare)[:, 1:]
    assert (ours - bare).abs().max() > 1e-3
