"""DINO (v1) ViT-S/B with patch 8/16 on timm's model classes and weight names."""
from __future__ import annotations

from typing import Optional

import torch

from ...errors import ConfigError
from .base import VFM, register_vfm
from .timm_vit import create_timm_model, to_map, vit_tokens


@register_vfm("dino")
class DINO(VFM):
    """DINO ViT features of the last block, patch tokens only.

    Args:
        feature: ``'token'`` (default, as upstream ProxyCLIP's published numbers): last block
            output after the final norm; ``'key'``: keys of the last block's attention, heads
            concatenated (an upstream alternative it captured with a forward hook; here computed
            by calling the block's parts).
    """

    ARCHS = {
        "s8": "vit_small_patch8_224.dino",
        "s16": "vit_small_patch16_224.dino",
        "b8": "vit_base_patch8_224.dino",
        "b16": "vit_base_patch16_224.dino",
    }
    FEATURES = ("key", "token")

    def __init__(self, model, *, feature: str = "token", arch: str = ""):
        if feature not in self.FEATURES:
            raise ConfigError(f"unknown DINO feature {feature!r}; valid: {', '.join(self.FEATURES)}")
        super().__init__(model, model.patch_embed.patch_size[0], model.embed_dim, arch=arch)
        self.feature = feature

    @classmethod
    def weight_aliases(cls, arch: str) -> list:
        return [f"dino_vit{'small' if arch[0] == 's' else 'base'}{arch[1:]}_pretrain"]  # DINO's own release

    @classmethod
    def build(cls, arch: str = "b8", *, pretrained: bool = True, checkpoint: Optional[str] = None,
              feature: str = "token", model_kwargs: Optional[dict] = None) -> "DINO":
        name = cls.resolve_arch(arch)
        model = create_timm_model(name, pretrained=pretrained, checkpoint=checkpoint, model_kwargs=model_kwargs,
                                  aliases=cls.weight_aliases(arch))
        return cls(model.eval(), feature=feature, arch=arch)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        m = self.model
        tokens, grid = vit_tokens(m, x, n_blocks=len(m.blocks) - 1)
        last = m.blocks[-1]
        p = m.num_prefix_tokens
        if self.feature == "key":
            b, n, c = tokens.shape
            qkv = last.attn.qkv(last.norm1(tokens)).reshape(b, n, 3, c)
            return to_map(qkv[:, p:, 1], grid)
        return to_map(m.norm(last(tokens))[:, p:], grid)
