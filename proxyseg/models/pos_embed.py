"""Position-embedding resampling with the DINO convention that upstream ProxyCLIP uses."""
from __future__ import annotations

from typing import Tuple

import torch
import torch.nn.functional as F


def interpolate_grid_pos_embed(grid_pe: torch.Tensor, src_grid: Tuple[int, int],
                               dst_grid: Tuple[int, int]) -> torch.Tensor:
    """Resample patch position embeddings to a new token grid.

    Uses ``F.interpolate(scale_factor=((gh + 0.1) / g0h, (gw + 0.1) / g0w), mode='bicubic')`` as
    DINO's ``interpolate_pos_encoding`` (and upstream's CLIP fork) do, not ``size=``: the two give
    slightly different values and only this one reproduces upstream numbers. The grid is returned
    unchanged when it already has the target size.

    Args:
        grid_pe: ``(N0, C)`` patch position embeddings, ``N0 = g0h * g0w`` (row-major).
        src_grid: ``(g0h, g0w)``; dst_grid: ``(gh, gw)``.

    Returns:
        ``(gh * gw, C)``.
    """
    if tuple(src_grid) == tuple(dst_grid):
        return grid_pe
    (g0h, g0w), (gh, gw) = src_grid, dst_grid
    c = grid_pe.shape[-1]
    pe = grid_pe.reshape(1, g0h, g0w, c).permute(0, 3, 1, 2)
    pe = F.interpolate(pe.float(), scale_factor=((gh + 0.1) / g0h, (gw + 0.1) / g0w), mode="bicubic",
                       align_corners=False)
    if pe.shape[-2:] != (gh, gw):  # float rounding safety; never hit for the usual sizes
        pe = F.interpolate(pe, size=(gh, gw), mode="bicubic", align_corners=False)
    return pe.permute(0, 2, 3, 1).reshape(gh * gw, c).to(grid_pe.dtype)
