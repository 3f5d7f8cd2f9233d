"""PAMR: pixel-adaptive mask refinement (Araslanov & Roth, CVPR 2020), as a pure function.

Our own transcription of visinf/1-stage-wseg:models/mods/pamr.py (the copies SCLIP and NACLIP
ship as ``pamr.py``): for each dilation ``d`` the 8 neighbours of a 3x3 kernel of dilation ``d``
(replicate padding); affinity ``-|I - I_n| / (1e-8 + 0.1 * std)``, ``std`` the unbiased standard
deviation per image channel and pixel over the 9 values of every dilated 3x3 neighbourhood
together (``9 * len(dilations)`` values, the centre once per dilation); mean over image channels;
softmax over all ``8 * len(dilations)`` neighbours; then ``iters`` times
``logits <- sum_n aff_n * logits_n`` (the pixel itself is not one of its neighbours).

Memory: shifted views of padded tensors instead of the reference's stacked
``(B, Q, 16, H, W)`` copies, and the queries go through in chunks of at most ``chunk_bytes``
(they are independent given the affinities). Peak memory beyond the inputs: the output plus
``~(8 * len(dilations) + 10) * B * H * W * 4`` bytes and ~3 query chunks; measured on CPU,
0.3-0.4 GB beyond the inputs and the output for a 2048 x 2048 image, whatever the number of
queries (the reference's stacked copies would take 16x the logits: 37 GB for 150 queries);
docs/fidelity.md "PAMR".
"""
from __future__ import annotations

from typing import Iterator, Sequence, Tuple

import torch
import torch.nn.functional as F

from ..errors import ConfigError

# the 8 neighbours of a 3x3 kernel, in the reference's order (row, col offsets in kernel units)
NEIGHBOURS: Tuple[Tuple[int, int], ...] = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
_KERNEL9 = NEIGHBOURS[:4] + ((0, 0),) + NEIGHBOURS[4:]


def _shifted(padded: torch.Tensor, d: int, offsets, size: Tuple[int, int]) -> Iterator[torch.Tensor]:
    """Views ``padded[..., d + dy*d : ..., d + dx*d : ...]`` of size ``size`` for each offset."""
    h, w = size
    for dy, dx in offsets:
        y, x = d + dy * d, d + dx * d
        yield padded[..., y:y + h, x:x + w]


def pamr_affinity(image: torch.Tensor, dilations: Sequence[int] = (8, 16)) -> torch.Tensor:
    """Softmax-normalised local affinities ``(B, 8 * len(dilations), H, W)`` of ``image (B, C, H, W)``."""
    image = image.float()
    b, c, h, w = image.shape
    padded = [F.pad(image, [d] * 4, mode="replicate") for d in dilations]
    # unbiased std over the 9 * len(dilations) values of all dilated neighbourhoods together
    n = 9 * len(dilations)
    mean = sum(v for p, d in zip(padded, dilations) for v in _shifted(p, d, _KERNEL9, (h, w))) / n
    var = sum((v - mean) ** 2 for p, d in zip(padded, dilations) for v in _shifted(p, d, _KERNEL9, (h, w))) / (n - 1)
    denom = 1e-8 + 0.1 * var.sqrt()  # (B, C, H, W)
    del mean, var
    aff = image.new_empty((b, 8 * len(dilations), h, w))
    i = 0
    for p, d in zip(padded, dilations):
        for v in _shifted(p, d, NEIGHBOURS, (h, w)):
            aff[:, i] = (-(image - v).abs() / denom).mean(dim=1)
            i += 1
    return aff.softmax(dim=1)


def pamr(image: torch.Tensor, logits: torch.Tensor, dilations: Sequence[int] = (8, 16), iters: int = 10,
         *, chunk_bytes: int = 64 * 2 ** 20) -> torch.Tensor:
    """Refine ``logits (B, Q, H, W)`` with the local affinities of ``image (B, 3, H, W)`` (same H, W).

    Returns float32 ``(B, Q, H, W)``. ``chunk_bytes`` bounds the memory of one chunk of queries.
    """
    if image.dim() != 4 or logits.dim() != 4:
        raise ConfigError(f"pamr needs image (B, 3, H, W) and logits (B, Q, H, W), got shapes "
                          f"{tuple(image.shape)} and {tuple(logits.shape)}")
    if image.shape[0] != logits.shape[0] or image.shape[-2:] != logits.shape[-2:]:
        raise ConfigError(f"pamr: image {tuple(image.shape)} and logits {tuple(logits.shape)} differ in batch or "
                          "size; resize the image to the logits' size first")
    dilations = tuple(int(d) for d in dilations)
    if not dilations or min(dilations) < 1 or int(iters) < 0:
        raise ConfigError(f"pamr: dilations must be positive ints and iters >= 0, got {dilations}, {iters}")
    aff = pamr_affinity(image, dilations)  # (B, P, H, W)
    b, q, h, w = logits.shape
    step = max(1, int(chunk_bytes) // max(1, b * h * w * 4))
    out = torch.empty((b, q, h, w), dtype=torch.float32, device=logits.device)
    for start in range(0, q, step):
        m = logits[:, start:start + step].float()
        for _ in range(int(iters)):
            acc = torch.zeros_like(m)
            i = 0
            for d in dilations:
                padded = F.pad(m, [d] * 4, mode="replicate")
                for v in _shifted(padded, d, NEIGHBOURS, (h, w)):
                    acc.addcmul_(aff[:, i:i + 1], v)
                    i += 1
                del padded
            m = acc
        out[:, start:start + step] = m
    return out
