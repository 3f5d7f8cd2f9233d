"""SAM image encoder (ViT-B/L/H, patch 16) on timm's ``VisionTransformerSAM`` and weight names."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F

from ...errors import ConfigError
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

    # ---- Trident: the last block's attention on the whole image --------------------------------
    def trident_input(self, pixels: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        """Trident's SAM input (``SamPredictor.set_image``): ``(B, 3, H, W)`` in [0, 1] ->
        ``(B, 3, S, S)`` and the valid token grid ``(vh, vw)``.

        The longer side is resized to ``S`` (the encoder's input size, 1024 for the real models;
        shorter side ``int(side * S / longer + 0.5)``), normalised, zero-padded bottom/right to
        ``S x S``; ``vh = new_h // 16`` tokens are valid (YuHengsss/Trident:trident.py
        ``get_sam_feat``; segment_anything/utils/transforms.py ``ResizeLongestSide``).
        """
        size = max(self.input_size)
        h, w = pixels.shape[-2:]
        scale = size / max(h, w)
        nh, nw = int(h * scale + 0.5), int(w * scale + 0.5)
        x = F.interpolate(pixels, size=(nh, nw), mode="bilinear", align_corners=False, antialias=True)
        x = (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)
        x = F.pad(x, (0, size - nw, 0, size - nh))
        return x, (nh // self.patch_size, nw // self.patch_size)

    def last_attention(self, pixels: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, Tuple[int, int]]:
        """Attention and values of the encoder's last (global) block on the valid tokens.

        Computed by calling the blocks and the last block's weights (``norm1``, ``attn.qkv``,
        decomposed relative positions), no hooks. ``pixels``: ``(B, 3, H, W)`` in [0, 1].

        Returns:
            ``attn (B, heads, M, M)`` (softmax over all ``S/16 x S/16`` keys, then the rows and
            columns of the valid ``vh x vw`` region kept, as Trident does), ``v (B, heads, M, d)``,
            ``(vh, vw)``; ``M = vh * vw``.
        """
        from timm.layers import resample_abs_pos_embed_nhwc
        from timm.models.vision_transformer_sam import get_decomposed_rel_pos_bias

        m = self.model
        last = m.blocks[-1]
        if getattr(last, "window_size", 0):
            raise ConfigError("Trident needs SAM's last encoder block to use global attention: build SAM with its "
                              "last block in global_attn_indexes")
        x, (vh, vw) = self.trident_input(pixels)
        x = m.patch_embed(x)  # (B, gh, gw, C)
        if m.pos_embed is not None:
            x = x + resample_abs_pos_embed_nhwc(m.pos_embed, x.shape[1:3])
        x = m.norm_pre(x)
        for blk in m.blocks[:-1]:
            x = blk(x)
        b, gh, gw, c = x.shape
        att = last.attn
        heads = att.num_heads
        qkv = att.qkv(last.norm1(x).reshape(b, gh * gw, c)).view(b, gh * gw, 3, heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # (B, heads, N, d)
        q, k = att.q_norm(q), att.k_norm(k)
        logits = (q * att.scale) @ k.transpose(-2, -1)  # (B, heads, N, N)
        if att.use_rel_pos:
            bias = get_decomposed_rel_pos_bias(q.reshape(b * heads, gh * gw, -1), att.rel_pos_h, att.rel_pos_w,
                                               (gh, gw), (gh, gw))
            logits = logits + bias.view(b, heads, gh * gw, gh * gw)
        attn = logits.softmax(dim=-1).view(b, heads, gh, gw, gh, gw)[:, :, :vh, :vw, :vh, :vw]
        v = v.view(b, heads, gh, gw, -1)[:, :, :vh, :vw]
        return attn.reshape(b, heads, vh * vw, vh * vw), v.reshape(b, heads, vh * vw, -1), (vh, vw)
