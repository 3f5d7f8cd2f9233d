"""MaskCLIP (Zhou et al., ECCV 2022): the value path of CLIP's last attention.

q and k are dropped: each token's attention output is its own value, ``out_proj(v)``. The
residual and the FFN of the block are KEPT: ``v' = x + out_proj(v)``, ``v' + mlp(ln_2(v'))``, then
``ln_post`` and ``proj``. This is the variant chongzhou96/MaskCLIP computes
(mmseg/models/backbones/vit.py ``TransformerEncoderLayer.forward`` with ``return_qkv``:
``v += x; v = self.ffn(self.norm2(v), identity=v)``; then ``final_norm`` and MaskClipHead's 1x1
``proj``). Re-implementations in ClearCLIP's/SCLIP's harnesses (``model_type='MaskCLIP'`` with
``ignore_residual=True``) drop the residual and the FFN; that is a different model. Proof of
equality and the differences of MaskCLIP's own backbone config: docs/fidelity.md "MaskCLIP".
"""
from __future__ import annotations

from ..ops.clip_block import layer_scale, qkv
from .base import Method, register_method


@register_method
class MaskCLIP(Method):
    name = "maskclip"
    reference = "chongzhou96/MaskCLIP:mmseg/models/backbones/vit.py"

    def last_block(self, block, x, *, grid, vfm_feats=None):
        _, _, v = qkv(block, x)
        x = x + layer_scale(block, "ls_1", block.attn.out_proj(v))
        x = x + layer_scale(block, "ls_2", block.mlp(block.ln_2(x)))
        return x[:, 1:], grid
