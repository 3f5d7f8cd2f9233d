"""MaskCLIP (Zhou et al., ECCV 2022): the value path of CLIP's last attention.

q and k are dropped: each token's attention output is its own value, ``out_proj(v)``. The
residual and the FFN of the block are kept (``x + out_proj(v)``, then ``x + mlp(ln_2(x))``).
"""
from __future__ import annotations

from ..ops.clip_block import layer_scale, qkv
from .base import Method, register_method


@register_method
class MaskCLIP(Method):
    name = "maskclip"
    reference = "chongzhou96/MaskCLIP"

    def last_block(self, block, x, *, grid, vfm_feats=None):
        _, _, v = qkv(block, x)
        x = x + layer_scale(block, "ls_1", block.attn.out_proj(v))
        x = x + layer_scale(block, "ls_2", block.mlp(block.ln_2(x)))
        return x[:, 1:], grid
