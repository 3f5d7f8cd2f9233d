"""ClearCLIP (Lan et al., ECCV 2024): q-q self-attention, no residual, no FFN.

Last block output = ``out_proj(softmax(q q^T * scale) v)`` (mc-lan/ClearCLIP:open_clip/transformer.py).
"""
from __future__ import annotations

from ..ops.attention import self_self_attention
from ..ops.clip_block import head_scale, merge_heads, num_heads, qkv, split_heads
from .base import Method, register_method


@register_method
class ClearCLIP(Method):
    name = "clearclip"
    protocol = dict(logit_scale=50.0, slide_crop=448, slide_stride=224)
    reference = "mc-lan/ClearCLIP:open_clip/transformer.py"

    def last_block(self, block, x, *, grid, vfm_feats=None):
        h = num_heads(block)
        q, _, v = (split_heads(t, h) for t in qkv(block, x))
        out = self_self_attention(v, q, scale=head_scale(block, x.shape[-1]))
        return block.attn.out_proj(merge_heads(out))[:, 1:], grid
