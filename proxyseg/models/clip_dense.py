"""Dense CLIP encoder: an open_clip ``VisionTransformer`` turned into per-patch embeddings.

The wrapped model's own modules are called (conv1, positional embedding, resblocks, ln_post,
proj); nothing of open_clip is forked or monkey-patched.
"""
from __future__ import annotations

from typing import Callable, Dict, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..errors import ConfigError
from ..ops.proxy_attention import proxy_attention, proxy_attention_weights
from .pos_embed import interpolate_grid_pos_embed


def _qkv(block: nn.Module, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """q, k, v ``(B, N, C)`` of an open_clip block's ``nn.MultiheadAttention`` on ``ln_1(x)``."""
    attn = block.attn
    return F.linear(block.ln_1(x), attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)


def _v_patches(block: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Values ``(B, N, C)`` of the patch tokens only (the class token and q, k are not needed)."""
    attn = block.attn
    c = x.shape[-1]
    return F.linear(block.ln_1(x[:, 1:]), attn.in_proj_weight[2 * c:], attn.in_proj_bias[2 * c:])


def _heads(t: torch.Tensor, num_heads: int) -> torch.Tensor:
    b, n, c = t.shape
    return t.reshape(b, n, num_heads, c // num_heads).transpose(1, 2)  # (B, heads, N, d)


def _merge_heads(t: torch.Tensor) -> torch.Tensor:
    b, h, n, d = t.shape
    return t.transpose(1, 2).reshape(b, n, h * d)


# ---- last-block modes: (block, x (B, 1+N, C), ctx) -> patch tokens (B, N', C) -----------------

def _last_clip(block, x, ctx):
    return block(x)[:, 1:]


def _last_maskclip(block, x, ctx):
    # MaskCLIP: value path only; out_proj(v) with the residual, then the MLP.
    _, _, v = _qkv(block, x)
    x = x + block.attn.out_proj(v)
    x = x + block.mlp(block.ln_2(x))
    return x[:, 1:]


def _last_proxyclip(block, x, ctx):
    vfm_feats = ctx["vfm_feats"]
    if vfm_feats is None:
        raise ConfigError("mode 'proxyclip' needs vfm_feats (B, C, h, w) from a VFM")
    v = _v_patches(block, x)  # (B, N, C)
    b, _, c = v.shape
    gh, gw = ctx["grid"]
    h, w = vfm_feats.shape[-2:]
    v = v.transpose(1, 2).reshape(b, c, gh, gw)
    if (gh, gw) != (h, w):  # CLIP grid -> VFM grid (per channel == per head)
        v = F.interpolate(v, size=(h, w), mode="bilinear", align_corners=False)
    v = v.flatten(2).transpose(1, 2)  # (B, hw, C)
    weights = proxy_attention_weights(vfm_feats, beta=ctx["beta"], gamma=ctx["gamma"])
    return block.attn.out_proj(proxy_attention(v, weights))  # no residual, no MLP


def _self_self(block, x, ctx, use_q: bool, use_k: bool):
    q, k, v = _qkv(block, x)
    heads = block.attn.num_heads
    q, k, v = (_heads(t, heads) for t in (q, k, v))
    out = 0
    for t, on in ((q, use_q), (k, use_k)):
        if on:
            out = out + F.scaled_dot_product_attention(t, t, v)
    return block.attn.out_proj(_merge_heads(out))[:, 1:]


def _last_clearclip(block, x, ctx):
    # ClearCLIP: q-q attention, no residual, no MLP.
    return _self_self(block, x, ctx, use_q=True, use_k=False)


def _last_sclip(block, x, ctx):
    # SCLIP-style correlative self-attention (q-q + k-k), no residual, no MLP.
    return _self_self(block, x, ctx, use_q=True, use_k=True)


LAST_BLOCK_MODES: Dict[str, Callable] = {
    "clip": _last_clip,
    "maskclip": _last_maskclip,
    "proxyclip": _last_proxyclip,
    "clearclip": _last_clearclip,
    "sclip": _last_sclip,
}


class DenseCLIP(nn.Module):
    """Per-patch CLIP embeddings with a selectable last block.

    ``forward(images)``: ``conv1 -> +pos (interpolated to the window grid) -> ln_pre ->
    resblocks[:-1] -> last block in ``mode`` -> ln_post -> proj``.

    Args:
        clip_model: an open_clip ``CLIP`` (its ``.visual`` is used) or a ``VisionTransformer``.
    """

    def __init__(self, clip_model: nn.Module):
        super().__init__()
        visual = getattr(clip_model, "visual", clip_model)
        if not hasattr(visual, "conv1") or not hasattr(visual, "transformer"):
            raise ConfigError(f"DenseCLIP needs an open_clip ViT, got {type(visual).__name__}")
        self.visual = visual
        self.patch_size = tuple(visual.patch_size)
        self.grid_size = tuple(visual.grid_size)

    @property
    def embed_dim(self) -> int:
        return self.visual.proj.shape[1]

    def _tokens(self, images: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        vis = self.visual
        # residual stream in the weights' dtype: under autocast only the matmuls/convs run in bf16/fp16
        x = vis.conv1(images).to(vis.positional_embedding.dtype)  # (B, C, gh, gw)
        gh, gw = x.shape[-2:]
        x = x.flatten(2).transpose(1, 2)  # (B, N, C)
        pe = vis.positional_embedding.to(x.dtype)
        grid_pe = interpolate_grid_pos_embed(pe[1:], self.grid_size, (gh, gw))
        cls = (vis.class_embedding + pe[0]).to(x.dtype).expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x + grid_pe.unsqueeze(0)], dim=1)
        x = vis.ln_pre(x)
        for block in vis.transformer.resblocks[:-1]:
            x = block(x)
        return x, (gh, gw)

    def _project(self, x: torch.Tensor) -> torch.Tensor:
        return self.visual.ln_post(x) @ self.visual.proj

    def forward_features(self, images: torch.Tensor, mode: str = "proxyclip",
                         vfm_feats: Optional[torch.Tensor] = None, beta: float = 1.2,
                         gamma: float = 3.0, return_cls: bool = False):
        """Projected patch embeddings (and optionally the class-token embedding).

        Args:
            images: ``(B, 3, H, W)`` CLIP-normalised, H and W multiples of the patch size.
            mode: one of :data:`LAST_BLOCK_MODES`.
            vfm_feats: ``(B, C, h, w)`` for ``proxyclip``.
            return_cls: also return the class token of the ordinary last block ``(B, D)``
                (a CLS-only pass, used by feature adjustment).

        Returns:
            ``(B, D, h, w)`` (VFM grid for ``proxyclip``, CLIP grid otherwise), and ``(B, D)`` if
            ``return_cls``.
        """
        if mode not in LAST_BLOCK_MODES:
            raise ConfigError(f"unknown method {mode!r}; valid: {', '.join(LAST_BLOCK_MODES)}")
        x, grid = self._tokens(images)
        last = self.visual.transformer.resblocks[-1]
        ctx = dict(vfm_feats=vfm_feats, beta=beta, gamma=gamma, grid=grid)
        tokens = LAST_BLOCK_MODES[mode](last, x, ctx)  # (B, N', C)
        out_grid = vfm_feats.shape[-2:] if mode == "proxyclip" else grid
        feats = self._project(tokens).transpose(1, 2).reshape(x.shape[0], -1, *out_grid)
        if not return_cls:
            return feats
        return feats, self._project(self._cls_token(last, x))

    @staticmethod
    def _cls_token(block: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Ordinary last block for the class token only: ``(B, 1+N, C) -> (B, C)``."""
        y = block.ln_1(x)
        cls = x[:, :1] + block.ls_1(block.attn(y[:, :1], y, y, need_weights=False)[0])
        cls = cls + block.ls_2(block.mlp(block.ln_2(cls)))
        return cls[:, 0]

    def forward(self, images: torch.Tensor, mode: str = "proxyclip", vfm_feats: Optional[torch.Tensor] = None,
                beta: float = 1.2, gamma: float = 3.0) -> torch.Tensor:
        """``(B, 3, H, W) -> (B, D, h, w)`` projected, not L2-normalised (see ``forward_features``)."""
        return self.forward_features(images, mode=mode, vfm_feats=vfm_feats, beta=beta, gamma=gamma)
