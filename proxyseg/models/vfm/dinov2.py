"""DINOv2 ViT-S/B/L with patch 14 and 4 register tokens, on timm's model classes and weight names."""
from __future__ import annotations

from typing import Optional

import torch

from ...errors import ConfigError
from .base import VFM, register_vfm
from .timm_vit import create_timm_model, to_map, vit_tokens


@register_vfm("dinov2")
class DINOv2(VFM):
    """DINOv2 (with registers) features: last layer output after the final norm, patch tokens only.

    ``forward(pixels (B, 3, H, W)) -> (B, C, H // 14, W // 14)``; the class token and the 4 register
    tokens are dropped. ``H`` and ``W`` must be multiples of 14 (the caller pads windows).

    Args:
        pos_resample: how the 37x37 position embeddings are resampled to the window's grid.
            ``'hub'`` (default): as the ``dinov2_vit*14_reg`` hub models that upstream ProxyCLIP
            loads (``F.interpolate(size=grid, mode='bicubic', antialias=True)``, done by timm's
            ``dynamic_img_size``); ``'dino'``: the DINO v1 convention (``scale_factor=(g + 0.1)/g0``,
            no antialias) of :func:`vit_tokens`, which the non-register DINOv2 hub models use.
    """

    ARCHS = {
        "s14_reg": "vit_small_patch14_reg4_dinov2.lvd142m",
        "b14_reg": "vit_base_patch14_reg4_dinov2.lvd142m",
        "l14_reg": "vit_large_patch14_reg4_dinov2.lvd142m",
    }
    POS_RESAMPLE = ("hub", "dino")

    def __init__(self, model, *, pos_resample: str = "hub", arch: str = ""):
        if pos_resample not in self.POS_RESAMPLE:
            raise ConfigError(f"unknown DINOv2 pos_resample {pos_resample!r}; valid: {', '.join(self.POS_RESAMPLE)}")
        super().__init__(model, model.patch_embed.patch_size[0], model.embed_dim, arch=arch)
        self.pos_resample = pos_resample

    @classmethod
    def weight_aliases(cls, arch: str) -> list:
        return [f"dinov2_vit{arch[0]}14_reg4_pretrain"]  # the original DINOv2 release (timm converts its keys)

    @classmethod
    def build(cls, arch: str = "b14_reg", *, pretrained: bool = True, checkpoint: Optional[str] = None,
              pos_resample: str = "hub", model_kwargs: Optional[dict] = None) -> "DINOv2":
        name = cls.resolve_arch(arch)
        kwargs = dict(model_kwargs or {})
        kwargs.setdefault("dynamic_img_size", True)  # NHWC patches + timm's size= resampling
        model = create_timm_model(name, pretrained=pretrained, checkpoint=checkpoint, model_kwargs=kwargs,
                                  aliases=cls.weight_aliases(arch))
        return cls(model.eval(), pos_resample=pos_resample, arch=arch)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` normalised -> ``(B, C, H // 14, W // 14)``."""
        m = self.model
        p = m.num_prefix_tokens  # 1 class + 4 register tokens
        if self.pos_resample == "dino":
            tokens, grid = vit_tokens(m, x)
            return to_map(m.norm(tokens)[:, p:], grid)
        grid = (x.shape[-2] // self.patch_size, x.shape[-1] // self.patch_size)
        tokens = m.forward_features(x)  # (B, p + h*w, C), after the final norm
        return to_map(tokens[:, p:], grid)
