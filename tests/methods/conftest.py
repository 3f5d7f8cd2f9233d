"""Fixtures for the per-method tests: a tiny random open_clip ViT and a random input window."""
import pytest
import torch


@pytest.fixture(scope="module")
def dense(tiny_clip):
    from proxyseg.models import DenseCLIP

    return DenseCLIP(tiny_clip[0])


@pytest.fixture(scope="module")
def trunk_out(dense):
    """``(x (B, 1+N, C), grid, block)``: the stream entering the last block for a 48 x 80 batch of 2."""
    torch.manual_seed(3)
    images = torch.randn(2, 3, 48, 80)
    with torch.no_grad():
        x, grid = dense.trunk(images)
    return images, x, grid, dense.visual.transformer.resblocks[-1]


def heads(block, x):
    """Reference-style q, k, v ``(B*heads, N, d)`` as the authors' ``custom_attn`` builds them
    (``F.linear(ln_1(x), in_proj_weight, in_proj_bias).chunk(3)``), batch-first."""
    import torch.nn.functional as F

    b, n, c = x.shape
    h = block.attn.num_heads
    q, k, v = F.linear(block.ln_1(x), block.attn.in_proj_weight, block.attn.in_proj_bias).chunk(3, dim=-1)
    f = lambda t: t.reshape(b, n, h, c // h).permute(0, 2, 1, 3).reshape(b * h, n, c // h)  # noqa: E731
    return f(q), f(k), f(v), (c // h) ** -0.5


def merge(out, b):
    bh, n, d = out.shape
    return out.reshape(b, bh // b, n, d).permute(0, 2, 1, 3).reshape(b, n, -1)
