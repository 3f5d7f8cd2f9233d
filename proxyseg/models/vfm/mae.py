"""MAE-pretrained ViT-B/16, L/16, H/14 on timm's model classes and weight names."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import VFM, as_size, register_vfm
from .timm_vit import create_timm_model, to_map, vit_tokens

# file names of the original MAE release (encoder-only "pretrain" checkpoints, {'model': ...})
_MAE_FILES = {"b16": "mae_pretrain_vit_base", "l16": "mae_pretrain_vit_large", "h14": "mae_pretrain_vit_huge"}


def resample_pos_embed_mae(model: nn.Module, input_size: Tuple[int, int]) -> None:
    """Set ``model`` up for ``input_size`` inputs, as MAE's ``interpolate_pos_embed`` does at load.

    The patch position embeddings ``(1, P + g0*g0, C)`` go to the new grid with
    ``F.interpolate(size=grid, mode='bicubic', align_corners=False)`` (prefix tokens kept), once, so
    every forward at ``input_size`` uses them as they are. Upstream ProxyCLIP builds its MAE ViT
    with ``img_size=slide_crop`` and loads the checkpoint this way.
    """
    pe = model.pos_embed
    n_prefix = 0 if model.no_embed_class else model.num_prefix_tokens
    g0h, g0w = model.patch_embed.grid_size
    model.patch_embed.set_input_size(img_size=tuple(input_size))
    gh, gw = model.patch_embed.grid_size
    if (gh, gw) == (g0h, g0w):
        return
    c = pe.shape[-1]
    grid = pe[0, n_prefix:].reshape(1, g0h, g0w, c).permute(0, 3, 1, 2).float()
    grid = F.interpolate(grid, size=(gh, gw), mode="bicubic", align_corners=False)
    grid = grid.permute(0, 2, 3, 1).reshape(1, gh * gw, c).to(pe.dtype)
    model.pos_embed = nn.Parameter(torch.cat([pe[:, :n_prefix], grid], dim=1), requires_grad=pe.requires_grad)


@register_vfm("mae")
class MAE(VFM):
    """MAE ViT features: last block output after the final norm, patch tokens only.

    ``forward(pixels (B, 3, H, W)) -> (B, C, S_h // p, S_w // p)``: the window is ImageNet-normalised
    and resized bilinearly to ``input_size = (S_h, S_w)`` (the slide crop, 336x336 by default, as
    upstream ProxyCLIP does), whatever its own size.

    Args:
        input_size: ``(H, W)`` every window is resized to (multiples of the patch size). The
            position embeddings are resampled once at build time to its grid (MAE's convention,
            ``size=``). ``None``: no resize; windows keep their size and the position embeddings are
            resampled per call with the DINO convention of :func:`vit_tokens`.
    """

    ARCHS = {
        "b16": "vit_base_patch16_224.mae",
        "l16": "vit_large_patch16_224.mae",
        "h14": "vit_huge_patch14_224.mae",
    }

    def __init__(self, model, *, input_size: Optional[Tuple[int, int]] = (336, 336), arch: str = ""):
        input_size = as_size(input_size)
        if input_size is not None:
            resample_pos_embed_mae(model, input_size)
        super().__init__(model, model.patch_embed.patch_size[0], model.embed_dim, input_size=input_size, arch=arch)

    @classmethod
    def weight_aliases(cls, arch: str) -> list:
        return [_MAE_FILES[arch]]  # the original release's file name

    @classmethod
    def build(cls, arch: str = "b16", *, pretrained: bool = True, checkpoint: Optional[str] = None,
              input_size: Optional[Tuple[int, int]] = (336, 336), model_kwargs: Optional[dict] = None) -> "MAE":
        name = cls.resolve_arch(arch)
        model = create_timm_model(name, pretrained=pretrained, checkpoint=checkpoint, model_kwargs=model_kwargs,
                                  aliases=cls.weight_aliases(arch))
        return cls(model.eval(), input_size=input_size, arch=arch)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` prepared -> ``(B, C, H // p, W // p)``."""
        m = self.model
        tokens, grid = vit_tokens(m, x)
        return to_map(m.norm(tokens[:, m.num_prefix_tokens:]), grid)
