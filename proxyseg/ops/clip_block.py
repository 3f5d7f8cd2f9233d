"""Pure functions over one open_clip transformer block (``ln_1``, ``attn``, ``ln_2``, ``mlp``).

They read the block's own weights (``attn.in_proj_weight``, ``attn.out_proj``), so they work with
``nn.MultiheadAttention`` and open_clip's own ``Attention`` alike. ``x`` is the residual stream
``(B, 1+N, C)`` (class token first) entering the block.
"""
from __future__ import annotations

from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


def qkv(block: nn.Module, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """q, k, v ``(B, N, C)`` of the block's attention on ``ln_1(x)``."""
    attn = block.attn
    return F.linear(block.ln_1(x), attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)


def v_patches(block: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Values ``(B, N, C)`` of the patch tokens only (the class token, q and k are not computed)."""
    attn = block.attn
    c = x.shape[-1]
    bias = attn.in_proj_bias[2 * c:] if attn.in_proj_bias is not None else None
    return F.linear(block.ln_1(x[:, 1:]), attn.in_proj_weight[2 * c:], bias)


def split_heads(t: torch.Tensor, num_heads: int) -> torch.Tensor:
    """``(B, N, C) -> (B, heads, N, C / heads)``."""
    b, n, c = t.shape
    return t.reshape(b, n, num_heads, c // num_heads).transpose(1, 2)


def merge_heads(t: torch.Tensor) -> torch.Tensor:
    """``(B, heads, N, d) -> (B, N, heads * d)``."""
    b, h, n, d = t.shape
    return t.transpose(1, 2).reshape(b, n, h * d)


def num_heads(block: nn.Module) -> int:
    return int(block.attn.num_heads)


def head_scale(block: nn.Module, width: int) -> float:
    """The attention's ``1 / sqrt(head_dim)``."""
    return (width // num_heads(block)) ** -0.5


def layer_scale(block: nn.Module, name: str, t: torch.Tensor) -> torch.Tensor:
    """Apply the block's layer scale ``ls_1``/``ls_2`` if it has one (identity in CLIP)."""
    ls = getattr(block, name, None)
    return ls(t) if ls is not None else t


def cls_token(block: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The ordinary block for the class token only: ``(B, 1+N, C) -> (B, C)``.

    Attention of the class token's query over all keys, computed from the block's weights.
    """
    q, k, v = qkv(block, x)
    h = num_heads(block)
    q, k, v = split_heads(q[:, :1], h), split_heads(k, h), split_heads(v, h)
    out = merge_heads(F.scaled_dot_product_attention(q, k, v))  # (B, 1, C)
    cls = x[:, :1] + layer_scale(block, "ls_1", block.attn.out_proj(out))
    cls = cls + layer_scale(block, "ls_2", block.mlp(block.ln_2(cls)))
    return cls[:, 0]
