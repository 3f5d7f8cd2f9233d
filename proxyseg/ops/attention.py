"""Attention variants of the training-free OVSS methods as pure tensor functions.

Shapes: ``q, k, v``: ``(B, heads, N, d)``.
"""
from __future__ import annotations

from typing import Tuple

import torch
import torch.nn.functional as F


def self_self_attention(v: torch.Tensor, *keys: torch.Tensor, scale: float) -> torch.Tensor:
    """``sum_t softmax(t t^T * scale) @ v`` over the given tensors ``t`` (q for ClearCLIP, q and k
    for SCLIP's correlative self-attention). Returns ``(B, heads, N, d)``."""
    out = torch.zeros_like(v)
    for t in keys:
        out = out + F.scaled_dot_product_attention(t, t, v, scale=scale)
    return out


def gaussian_grid_bias(grid: Tuple[int, int], std: float, *, cls_token: bool = True,
                       device=None, dtype=torch.float32) -> torch.Tensor:
    """NACLIP's neighbourhood prior over a 2-D patch grid (sinahmr/NACLIP:clip/model.py,
    ``gaussian_window`` + ``get_attention_addition``).

    ``G[(i, j), (k, l)] = exp(-((i - k)^2 + (j - l)^2) / (2 * std^2))`` (unnormalised, peak 1) for the
    ``gh * gw`` patches in row-major order; with ``cls_token`` a zero row and column are put in front
    for the class token. Returns ``(1+N, 1+N)`` (or ``(N, N)``), ``N = gh * gw``.
    """
    gh, gw = grid
    ii, jj = torch.meshgrid(torch.arange(gh, device=device, dtype=torch.float32),
                            torch.arange(gw, device=device, dtype=torch.float32), indexing="ij")
    ii, jj = ii.reshape(-1), jj.reshape(-1)  # (N,)
    d2 = (ii[:, None] - ii[None, :]) ** 2 + (jj[:, None] - jj[None, :]) ** 2  # (N, N)
    g = torch.exp(-d2 / (2.0 * float(std) ** 2))
    if cls_token:
        g = F.pad(g, (1, 0, 1, 0))  # zero row and column for the class token
    return g.to(dtype)


def neighbourhood_attention(k: torch.Tensor, v: torch.Tensor, bias: torch.Tensor, *, scale: float) -> torch.Tensor:
    """NACLIP's attention ``softmax(k k^T * scale + bias) @ v`` (the bias is added after scaling).

    ``k, v``: ``(B, heads, N, d)``; ``bias``: ``(N, N)`` (e.g. :func:`gaussian_grid_bias`).
    Returns ``(B, heads, N, d)``.
    """
    return F.scaled_dot_product_attention(k, k, v, attn_mask=bias.to(k.dtype), scale=scale)
