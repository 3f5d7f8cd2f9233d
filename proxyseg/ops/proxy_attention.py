"""Proxy Attention Module (PAM) of ProxyCLIP as a pure tensor function.

``f = normalize(vfm_feats, dim=C)``, ``S = f^T f`` per image, ``A = gamma * (S - beta * mean(S))``,
entries ``< 0`` masked to ``-inf``, ``P = softmax(A)`` per row, ``out = P @ v``.

Differences from upstream (both documented in README):
- ``mean(S)`` is taken per image, not over the whole batch, so a result never depends on which
  other windows share the batch.
- A row whose entries are all negative (e.g. a uniform window) makes upstream's softmax return
  NaN. Here such a row keeps its maximum entry, so the output stays finite. Wherever upstream
  is finite the two agree exactly.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F


def proxy_attention_weights(vfm_feats: torch.Tensor, beta: float = 1.2, gamma: float = 3.0,
                            mean: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Attention weights from VFM features.

    Args:
        vfm_feats: ``(B, C, h, w)`` or ``(B, C, N)`` VFM features.
        beta, gamma: PAM shift and temperature.
        mean: ``mean(S)`` to use instead of each image's own (a scalar or ``(B, 1, 1)``), e.g. the
            mean over all windows of an image (Trident); see :func:`similarity_mean`.

    Returns:
        ``(B, N, N)`` row-stochastic weights in float32, ``N = h * w``.
    """
    with torch.autocast(vfm_feats.device.type, enabled=False):  # fp32 even under amp (thresholds)
        f = vfm_feats.flatten(2).float()  # (B, C, N)
        f = F.normalize(f, dim=1)
        attn = torch.bmm(f.transpose(1, 2), f)  # (B, N, N) similarities
        if mean is None:
            mean = attn.mean(dim=(1, 2), keepdim=True)  # per image
        else:
            mean = torch.as_tensor(mean, dtype=attn.dtype, device=attn.device)
        attn.sub_(beta * mean).mul_(gamma)  # gamma * (S - beta * mean), in place: no (B, N, N) temporaries
        # keep entries >= 0; a row with none keeps its maximum (finite output, see module doc):
        # keeping entries >= min(0, row max) is the same rule in one comparison
        thr = attn.amax(dim=-1, keepdim=True).clamp_(max=0)
        attn.masked_fill_(attn < thr, float("-inf"))
        return attn.softmax(dim=-1)


def similarity_mean(vfm_feats: torch.Tensor) -> torch.Tensor:
    """``mean(S)`` per image without the ``(N, N)`` matrix: ``|mean_n f_n|^2`` with ``f`` the
    channel-normalised features. ``(B, C, h, w)`` -> ``(B,)`` float32."""
    with torch.autocast(vfm_feats.device.type, enabled=False):
        f = F.normalize(vfm_feats.flatten(2).float(), dim=1)
        return f.mean(dim=-1).pow(2).sum(dim=-1)


def proxy_attention(v: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Apply PAM weights to value vectors.

    The weights are shared by all heads, so heads need not be split: ``(P @ v_h)`` for every
    head is ``P @ v`` with heads concatenated.

    Args:
        v: ``(B, N, C)`` values (heads concatenated) or ``(B, heads, N, d)``.
        weights: ``(B, N, N)`` from :func:`proxy_attention_weights`.

    Returns:
        Same shape as ``v``.
    """
    w = weights.to(v.dtype)
    if v.dim() == 4:
        return torch.matmul(w.unsqueeze(1), v)
    return torch.bmm(w, v)
