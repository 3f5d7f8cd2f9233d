"""Dense CLIP encoder: an open_clip ``VisionTransformer`` turned into per-patch embeddings.

The wrapped model's own modules are called (conv1, positional embedding, resblocks, ln_post,
proj); nothing of open_clip is forked or monkey-patched.
"""
from __future__ import annotations

from typing import Optional, Tuple, Union

import torch
import torch.nn as nn

from ..errors import ConfigError
from ..methods import Method, build_method
from ..ops.clip_block import cls_token
from .pos_embed import interpolate_grid_pos_embed

MethodSpec = Union[str, dict, Method]


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

    def trunk(self, images: torch.Tensor) -> Tuple[torch.Tensor, Tuple[int, int]]:
        """Everything before the last block: ``(B, 3, H, W) -> (x (B, 1+N, C), (gh, gw))``.

        The same for every method: a sweep computes it once per window and reads it out with
        several methods (:meth:`readout`).
        """
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

    def forward_features(self, images: torch.Tensor, mode: MethodSpec = "proxyclip",
                         vfm_feats: Optional[torch.Tensor] = None, beta: Optional[float] = None,
                         gamma: Optional[float] = None, return_cls: bool = False):
        """Projected patch embeddings (and optionally the class-token embedding).

        Args:
            images: ``(B, 3, H, W)`` CLIP-normalised, H and W multiples of the patch size.
            mode: a registered method (name, ``dict(type=NAME, **params)`` or a
                :class:`~proxyseg.methods.Method`); a name is built with its defaults.
            vfm_feats: ``(B, C, h, w)`` for methods that need a VFM (``proxyclip``).
            beta, gamma: shorthand for those parameters of methods that declare them.
            return_cls: also return the class token of the ordinary last block ``(B, D)``
                (a CLS-only pass, used by feature adjustment).

        Returns:
            ``(B, D, h, w)`` on the method's output grid (the VFM grid for ``proxyclip``, CLIP's
            otherwise), and ``(B, D)`` if ``return_cls``.
        """
        method = build_method(mode, beta=beta, gamma=gamma)
        x, grid = self.trunk(images)
        return self.readout(x, grid, method, vfm_feats=vfm_feats, return_cls=return_cls)

    def readout(self, x: torch.Tensor, grid: Tuple[int, int], method: Method,
                vfm_feats: Optional[torch.Tensor] = None, return_cls: bool = False):
        """The method's last block on the trunk's output, then ``ln_post`` and ``proj``.

        ``x``: ``(B, 1+N, C)`` from :meth:`trunk`. Returns ``(B, D, h, w)`` (and ``(B, D)``).
        """
        last = self.visual.transformer.resblocks[-1]
        tokens, out_grid = method.last_block(last, x, grid=grid, vfm_feats=vfm_feats)  # (B, N', C)
        feats = self._project(tokens).transpose(1, 2).reshape(x.shape[0], -1, *out_grid)
        if not return_cls:
            return feats
        return feats, self._project(cls_token(last, x))

    def forward(self, images: torch.Tensor, mode: MethodSpec = "proxyclip", vfm_feats: Optional[torch.Tensor] = None,
                beta: Optional[float] = None, gamma: Optional[float] = None) -> torch.Tensor:
        """``(B, 3, H, W) -> (B, D, h, w)`` projected, not L2-normalised (see ``forward_features``)."""
        return self.forward_features(images, mode=mode, vfm_feats=vfm_feats, beta=beta, gamma=gamma)
