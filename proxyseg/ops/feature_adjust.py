"""CLIP-Surgery-style feature adjustment (the seed study's redundancy removal)."""
from __future__ import annotations

import torch


def feature_adjust_logits(patch_feats: torch.Tensor, cls_feat: torch.Tensor, text: torch.Tensor,
                          temperature: float = 2.0) -> torch.Tensor:
    """Adjusted patch-to-text similarities.

    With ``p = softmax(temperature * c @ t^T)`` and ``w = p / mean(p)``, the seed defines
    ``F[n, k] = x_n * t_k * w_k`` (element-wise), subtracts the mean over classes ``k`` and sums
    over channels. Summing first gives the identical, memory-light form
    ``w_k (x_n . t_k) - x_n . mean_k(w_k t_k)``; no ``(N, K, D)`` tensor is built.

    Args:
        patch_feats: ``(B, N, D)`` L2-normalised patch embeddings ``x``.
        cls_feat: ``(B, D)`` L2-normalised class-token embedding ``c``.
        text: ``(K, D)`` L2-normalised text embeddings ``t``.

    Returns:
        ``(B, N, K)`` adjusted logits.
    """
    p = (temperature * cls_feat @ text.t()).softmax(dim=-1)  # (B, K)
    w = p / p.mean(dim=-1, keepdim=True)
    sim = patch_feats @ text.t()  # (B, N, K)
    redundant = w @ text / text.shape[0]  # (B, D): mean_k w_k t_k
    return sim * w.unsqueeze(1) - torch.bmm(patch_feats, redundant.unsqueeze(-1))
