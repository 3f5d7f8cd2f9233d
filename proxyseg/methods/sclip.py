"""SCLIP (Wang et al., ECCV 2024): correlative self-attention in CLIP's last block.

``x = x + out_proj(csa(ln_1(x))); x = x + mlp(ln_2(x))`` with
``csa = (softmax(q q^T * scale) + softmax(k k^T * scale)) v`` over all tokens: the residual and
the FFN are kept (wangf3014/SCLIP:clip/model.py).
"""
from __future__ import annotations

from ..ops.attention import self_self_attention
from ..ops.clip_block import head_scale, layer_scale, merge_heads, num_heads, qkv, split_heads
from .base import Method, register_method


@register_method
class SCLIP(Method):
    name = "sclip"
    protocol = dict(logit_scale=50.0, slide_crop=224, slide_stride=112)
    reference = "wangf3014/SCLIP:clip/model.py"

    def last_block(self, block, x, *, grid, vfm_feats=None):
        h = num_heads(block)
        q, k, v = (split_heads(t, h) for t in qkv(block, x))
        attn = self_self_attention(v, q, k, scale=head_scale(block, x.shape[-1]))
        x = x + layer_scale(block, "ls_1", block.attn.out_proj(merge_heads(attn)))
        x = x + layer_scale(block, "ls_2", block.mlp(block.ln_2(x)))
        return x[:, 1:], grid
