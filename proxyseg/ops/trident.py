"""Trident's image-level pieces as pure tensor functions (Shi et al., 2024).

Written from reading YuHengsss/Trident (commit a93b346): ``trident.py`` (window schedule,
``preprocess_image`` in ``seg_utils/utils.py``) and ``open_clip/transformer.py``
(``guidance_attn``: splice the windows, ``get_sam_sim``: SAM guidance weights).

- :func:`trident_input_size`: the size the image is resized to before windowing (every side a
  multiple of the patch size and at least the crop).
- :func:`splice_windows`: per-window feature maps averaged into one image-level map.
- :func:`sam_guidance_weights`: SAM's last-block attention kept where the cosine similarity of
  its values exceeds ``cos_fac`` x the row's mean (capped), head-averaged, row-normalised.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F

Box = Tuple[int, int, int, int]  # (y1, y2, x1, x2)


def trident_input_size(height: int, width: int, stride: int, crop: int) -> Tuple[int, int]:
    """Trident's ``preprocess_image``: ``(H, W)`` -> the size the image is resized to.

    Unchanged when both sides are multiples of ``stride`` (the CLIP patch size); otherwise the
    longer side is rounded up to a multiple of ``stride``, the shorter scaled with it (``int``)
    and rounded up too, and both are at least ``crop``.
    """
    if height % stride == 0 and width % stride == 0:
        return height, width
    longer = max(height, width)
    dst = longer if longer % stride == 0 else (longer // stride + 1) * stride
    h, w = int(height * dst / longer), int(width * dst / longer)
    h = h if h % stride == 0 else (h // stride + 1) * stride
    w = w if w % stride == 0 else (w // stride + 1) * stride
    return max(h, crop), max(w, crop)


def splice_windows(maps: torch.Tensor, boxes: Sequence[Box], size: Tuple[int, int]) -> torch.Tensor:
    """Average per-window feature maps into one image-level map.

    Args:
        maps: ``(n, C, h, w)`` one map per window, on the window's token grid.
        boxes: ``n`` boxes ``(y1, y2, x1, x2)`` in token units of the image grid (each spans
            ``h x w`` tokens).
        size: ``(Hs, Ws)`` image token grid; every token is covered by at least one box.

    Returns:
        ``(C, Hs, Ws)``: the sum over windows divided by the number of windows per token.
    """
    acc = maps.new_zeros((maps.shape[1], *size))
    count = maps.new_zeros((1, *size))
    for (y1, y2, x1, x2), m in zip(boxes, maps):
        acc[:, y1:y2, x1:x2] += m
        count[:, y1:y2, x1:x2] += 1
    return acc / count


def sam_guidance_weights(attn: torch.Tensor, v: torch.Tensor, *, cos_fac: float = 1.2, cap: float = 0.9,
                         refine_neg_cos: bool = True) -> torch.Tensor:
    """Trident's guidance weights from SAM's last-block attention (``get_sam_sim``).

    ``s[h] = normalize(v[h]) normalize(v[h])^T`` (cosine similarity of the values per head);
    a row threshold ``t[m] = cos_fac * mean_{h, n} s[h, m, n]``, replaced by 0.6 where negative
    unless ``refine_neg_cos``, capped at ``cap``; ``A[h, m, n] = attn[h, m, n]`` where
    ``s[h, m, n] > t[m]`` else 0; mean over heads; each row divided by its sum. The diagonal
    (``s = 1 > t``) is always kept, so no row is empty.

    Args:
        attn: ``(B, heads, M, M)`` row-stochastic attention (softmax) of SAM's last block.
        v: ``(B, heads, M, d)`` that block's values.

    Returns:
        ``(B, M, M)`` row-stochastic weights (float32), the same for every CLIP head.
    """
    with torch.autocast(attn.device.type, enabled=False):
        vn = F.normalize(v.float(), dim=-1)  # (B, h, M, d)
        # mean_n s[h, m, n] = vn[h, m] . mean_n vn[h, n]: no (M, M) tensor for the threshold
        row_mean = (vn @ vn.mean(dim=2, keepdim=True).transpose(-1, -2)).squeeze(-1)  # (B, h, M)
        thr = cos_fac * row_mean.mean(dim=1)  # (B, M)
        if not refine_neg_cos:
            thr = torch.where(thr < 0.0, torch.full_like(thr, 0.6), thr)
        thr = thr.clamp(max=cap).unsqueeze(-1)  # (B, M, 1)
        out = attn.new_zeros((attn.shape[0], attn.shape[2], attn.shape[3]), dtype=torch.float32)
        for h in range(attn.shape[1]):  # one (M, M) similarity at a time
            sim = vn[:, h] @ vn[:, h].transpose(-1, -2)  # (B, M, M)
            out += torch.where(sim > thr, attn[:, h].float(), torch.zeros((), device=attn.device))
        out /= attn.shape[1]
        return out / out.sum(dim=-1, keepdim=True)


def token_boxes(boxes: Sequence[Box], patch: int, ratio: int = 1) -> List[Box]:
    """Pixel boxes (multiples of ``patch``) -> token boxes on a grid ``ratio`` times finer."""
    return [(y1 // patch * ratio, y2 // patch * ratio, x1 // patch * ratio, x2 // patch * ratio)
            for (y1, y2, x1, x2) in boxes]
