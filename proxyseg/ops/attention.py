"""Attention variants of the training-free OVSS methods as pure tensor functions.

Shapes: ``q, k, v``: ``(B, heads, N, d)``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def self_self_attention(v: torch.Tensor, *keys: torch.Tensor, scale: float) -> torch.Tensor:
    """``sum_t softmax(t t^T * scale) @ v`` over the given tensors ``t`` (q for ClearCLIP, q and k
    for SCLIP's correlative self-attention). Returns ``(B, heads, N, d)``."""
    out = torch.zeros_like(v)
    for t in keys:
        out = out + F.scaled_dot_product_attention(t, t, v, scale=scale)
    return out
