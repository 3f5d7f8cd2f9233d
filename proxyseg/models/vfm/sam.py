"""SAM image encoder (ViT-B/L/H, patch 16) on timm's ``VisionTransformerSAM`` and weight names."""
from __future__ import annotations

from typing import Optional, Tuple

import torch

from .base import VFM, register_vfm
from .base import as_size
from .timm_vit import create_timm_model

# file names of the original Segment Anything release (timm's filter drops the prompt encoder
# and mask decoder and renames the image-encoder keys)
_SAM_FILES = {"b": "sam_vit_b_01ec64", "l": "sam_vit_l_0b3195", "h": "sam_vit_h_4b8939"}


@register_vfm("sam")
class SAM(VFM):
    """SAM image-encoder output, neck included: every window is resized to the encoder's input.

    ``forward(pixels (B, 3, H, W)) -> (B, 256, 64, 64)`` for the real models: the window is
    ImageNet-normalised, resized bilinearly to ``input_size`` (1024x1024, the encoder's
    ``img_size``), run through ``forward_features`` (blocks + conv neck), as upstream ProxyCLIP does.
    ``embed_dim`` is the neck's output width (256), ``patch_size`` 16.

    Args:
        input_size: ``(H, W)`` the window is resized to; default: the model's ``img_size``
            (so a tiny test model built with ``model_kwargs=dict(img_size=64, ...)`` runs at 64x64).
        model_kwargs: timm ``VisionTransformerSAM`` arguments (``img_size``, ``embed_dim``, ``depth``,
            ``num_heads``, ``global_attn_indexes``, ``window_size``, ``neck_chans``, ...).
    """

    ARCHS = {
        "b": "samvit_base_patch16.sa1b",
        "l": "samvit_large_patch16.sa1b",
        "h": "samvit_huge_patch16.sa1b",
    }

    def __init__(self, model, *, input_size: Optional[Tuple[int, int]] = None, arch: str = ""):
        input_size = as_size(input_size) or tuple(model.patch_embed.img_size)
        super().__init__(model, model.patch_embed.patch_size[0], model.num_features, input_size=input_size,
                         arch=arch)

    @classmethod
    def weight_aliases(cls, arch: str) -> list:
        return [_SAM_FILES[arch]]  # the original release's file name

    @classmethod
    def build(cls, arch: str = "b", *, pretrained: bool = True, checkpoint: Optional[str] = None,
              input_size: Optional[Tuple[int, int]] = None, model_kwargs: Optional[dict] = None) -> "SAM":
        name = cls.resolve_arch(arch)
        model = create_timm_model(name, pretrained=pretrained, checkpoint=checkpoint, model_kwargs=model_kwargs,
                                  aliases=cls.weight_aliases(arch))
        return cls(model.eval(), input_size=input_size, arch=arch)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, h0, w0)`` prepared (``input_size``) -> ``(B, neck_chans, h0 // 16, w0 // 16)``."""
        return self.model.forward_features(x)
