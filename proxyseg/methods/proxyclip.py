"""ProxyCLIP (Lan et al., ECCV 2024): CLIP's last attention replaced by proxy attention.

The attention weights come from a vision foundation model's features (``vfm_feats``,
:func:`proxyseg.ops.proxy_attention_weights`); the values are CLIP's last-block values of the
patch tokens, resized from CLIP's grid to the VFM's. No residual, no FFN:
``out_proj(P @ v)`` on the VFM grid.
"""
from __future__ import annotations

import torch.nn.functional as F

from ..errors import ConfigError
from ..ops.clip_block import v_patches
from ..ops.proxy_attention import proxy_attention, proxy_attention_weights
from .base import Method, register_method


@register_method
class ProxyCLIP(Method):
    name = "proxyclip"
    needs_vfm = True
    params = dict(beta=1.2, gamma=3.0)
    param_ranges = dict(beta=(0.0, None), gamma=(0.0, None))
    protocol = dict(logit_scale=40.0, slide_crop=336, slide_stride=112)
    reference = "mc-lan/ProxyCLIP:proxyclip_segmentor.py"

    def last_block(self, block, x, *, grid, vfm_feats=None):
        if vfm_feats is None:
            raise ConfigError("method 'proxyclip' needs vfm_feats (B, C, h, w) from a VFM: "
                              "set model.vfm=dict(type='dino', arch='b8')")
        v = v_patches(block, x)  # (B, N, C)
        b, _, c = v.shape
        gh, gw = grid
        h, w = vfm_feats.shape[-2:]
        v = v.transpose(1, 2).reshape(b, c, gh, gw)
        if (gh, gw) != (h, w):  # CLIP grid -> VFM grid (per channel == per head)
            v = F.interpolate(v, size=(h, w), mode="bilinear", align_corners=False)
        v = v.flatten(2).transpose(1, 2)  # (B, hw, C)
        weights = proxy_attention_weights(vfm_feats, beta=self.beta, gamma=self.gamma)
        return block.attn.out_proj(proxy_attention(v, weights)), (h, w)
