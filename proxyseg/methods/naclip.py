"""NACLIP (Hajimiri et al., WACV 2025): neighbourhood-aware attention, reduced last block.

Last block output = ``out_proj(softmax(k k^T * scale + G) v)`` over all tokens (class token
included), no residual and no FFN (``arch='reduced'``), then ``ln_post`` and ``proj`` as usual.
``G`` is a fixed, unnormalised Gaussian over the 2-D patch grid (std ``gauss_std`` patches, peak 1),
zero on the class token's row and column, added after the ``1/sqrt(d)`` scaling
(sinahmr/NACLIP:clip/model.py, ``VisionTransformer.custom_attn`` with ``attn_strategy='naclip'``).
"""
from __future__ import annotations

from ..ops.attention import gaussian_grid_bias, neighbourhood_attention
from ..ops.clip_block import head_scale, merge_heads, num_heads, qkv, split_heads
from .base import Method, register_method


@register_method
class NACLIP(Method):
    name = "naclip"
    params = dict(gauss_std=5.0)
    param_ranges = dict(gauss_std=(1e-6, None))
    # sinahmr/NACLIP:naclip.py defaults (PAMR on in its paper protocol: postprocess=dict(type='pamr'))
    protocol = dict(logit_scale=40.0, slide_crop=224, slide_stride=112,
                    postprocess=dict(type="pamr", dilations=(8, 16), iters=10))
    reference = "sinahmr/NACLIP:clip/model.py"

    def last_block(self, block, x, *, grid, vfm_feats=None):
        h = num_heads(block)
        _, k, v = (split_heads(t, h) for t in qkv(block, x))
        bias = gaussian_grid_bias(grid, self.gauss_std, cls_token=True, device=x.device, dtype=k.dtype)
        out = neighbourhood_attention(k, v, bias, scale=head_scale(block, x.shape[-1]))
        return block.attn.out_proj(merge_heads(out))[:, 1:], grid
