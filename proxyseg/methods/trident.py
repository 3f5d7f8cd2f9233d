"""Trident (Shi et al., 2024): splice-then-segment with SAM's global attention.

Written from reading YuHengsss/Trident (commit a93b346): ``trident.py`` (``get_trident_seg``,
``get_sam_feat``) and ``open_clip/transformer.py`` (``custom_attn``, ``guidance_attn``,
``get_sam_sim``). Image-level, not per window::

    image (3, H, W) -> resized so both sides are multiples of CLIP's patch and >= the crop
      -> windows (crop 336, stride 224), batched:
           CLIP trunk -> last block = ProxyCLIP's proxy attention with the VFM (DINO ViT-B/16):
           out_proj(P @ v) on the VFM grid (no residual, no FFN, before ln_post); the PAM's
           mean(S) over all windows of the image, as the reference (its windows are one batch;
           pam_mean='window': each window's own, as ProxyCLIP)
      -> spliced into one image-level map (overlaps averaged)            (C, Hs, Ws)
      -> bilinear to SAM's valid token grid                              (C, sh, sw)
      -> W @ map, W = SAM guidance weights (ops.trident.sam_guidance_weights) from the last
         encoder block of SAM ViT-B run on the whole image (the guide VFM)
      -> ln_post, proj                                                   (D, sh, sw)

Not implemented: the optional SAM prompt refinement of the coarse mask (``--sam_refine``:
prompt boxes/points from each class's connected regions fed to SAM's mask decoder), which needs
SAM's prompt encoder and mask decoder (timm's ``samvit`` is the image encoder only).
``sam_split=2`` runs SAM on the left and right image halves separately, each aggregating its half of
the spliced map (the reference's Cityscapes case).
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from ..errors import ConfigError
from ..ops.clip_block import v_patches
from ..ops.proxy_attention import proxy_attention, proxy_attention_weights, similarity_mean
from ..ops.slide import pad_to_multiple, window_grid
from ..ops.trident import sam_guidance_weights, splice_windows, token_boxes, trident_input_size
from .base import Method, register_method


@register_method
class Trident(Method):
    name = "trident"
    needs_vfm = True
    image_level = True
    guide = dict(type="sam", arch="b")
    params = dict(beta=1.2, gamma=3.0, cos_fac=1.2, cap=0.9, refine_neg_cos=True, pam_mean="image",
                  sam_split=1)
    param_ranges = dict(beta=(0.0, None), gamma=(0.0, None), cos_fac=(None, None), cap=(None, None))
    protocol = dict(logit_scale=40.0, slide_crop=336, slide_stride=224)
    reference = "YuHengsss/Trident:trident.py, open_clip/transformer.py"

    def __init__(self, **params):
        super().__init__(**params)
        if self.sam_split not in (1, 2):
            raise ConfigError(f"trident sam_split must be 1 (whole image) or 2 (left and right halves), "
                              f"got {self.sam_split!r}")
        if self.pam_mean not in ("image", "window"):
            raise ConfigError(f"trident pam_mean must be 'image' or 'window', got {self.pam_mean!r}")

    def last_block(self, block, x, *, grid, vfm_feats=None, mean=None):
        """Per window: ProxyCLIP's proxy attention (the part before splicing); ``mean``: the
        PAM's ``mean(S)`` (default: each window's own)."""
        if vfm_feats is None:
            raise ConfigError("method 'trident' needs vfm_feats from a VFM: set model.vfm=dict(type='dino', arch='b16')")
        v = v_patches(block, x)  # (B, N, C)
        b, _, c = v.shape
        gh, gw = grid
        h, w = vfm_feats.shape[-2:]
        v = v.transpose(1, 2).reshape(b, c, gh, gw)
        if (gh, gw) != (h, w):
            v = F.interpolate(v, size=(h, w), mode="bilinear", align_corners=False)
        v = v.flatten(2).transpose(1, 2)  # (B, hw, C)
        weights = proxy_attention_weights(vfm_feats, beta=self.beta, gamma=self.gamma, mean=mean)
        return block.attn.out_proj(proxy_attention(v, weights)), (h, w)

    def window_maps(self, segmenter, windows: torch.Tensor, vfm_feats: torch.Tensor,
                    mean: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``(n, 3, h, w)`` CLIP-normalised windows -> ``(n, C, h', w')`` before ``ln_post``.

        ``h' = r * h / patch`` with ``r`` the VFM grid's ratio to CLIP's (1 for DINO ViT-B/16);
        a VFM grid that is not a multiple of CLIP's is resized bilinearly to ``r`` times it.
        """
        clip = segmenter.clip
        x, (gh, gw) = clip.trunk(windows)
        tokens, (vh, vw) = self.last_block(clip.visual.transformer.resblocks[-1], x, grid=(gh, gw),
                                           vfm_feats=vfm_feats, mean=mean)
        maps = tokens.transpose(1, 2).reshape(tokens.shape[0], -1, vh, vw)
        if vw % gw:
            r = int(round(vh / gh))
            maps = F.interpolate(maps, size=(gh * r, gw * r), mode="bilinear", align_corners=False)
        return maps

    def image_features(self, segmenter, image):
        guide = getattr(segmenter, "guide_vfm", None)
        if guide is None or not hasattr(guide, "last_attention"):
            raise ConfigError("method 'trident' needs SAM as its guide: set model.guide_vfm=dict(type='sam', arch='b')")
        clip = segmenter.clip
        p = clip.patch_size[0]
        h, w = image.shape[-2:]
        crop = segmenter.slide_crop
        if crop is not None and (crop % p or segmenter.slide_stride % p):
            raise ConfigError(f"trident needs slide_crop and slide_stride that are multiples of CLIP's patch size {p}, "
                              f"got {crop}/{segmenter.slide_stride}")
        th, tw = trident_input_size(h, w, p, crop or 0)
        img = image if (th, tw) == (h, w) else \
            F.interpolate(image[None], size=(th, tw), mode="bilinear", align_corners=False)[0]
        if crop is None:  # the whole (resized) image as one window
            boxes = [(0, th, 0, tw)]
        else:
            boxes = window_grid(th, tw, (crop, crop), (segmenter.slide_stride,) * 2)
        chunks = [boxes[i:i + segmenter.window_batch] for i in range(0, len(boxes), segmenter.window_batch)]

        def windows(chunk):
            wins, pad = pad_to_multiple(torch.stack([img[:, y1:y2, x1:x2] for (y1, y2, x1, x2) in chunk]),
                                        segmenter.pad_multiple)
            if any(pad):  # a window smaller than the crop whose side is not a multiple of the VFM's patch
                raise ConfigError(f"trident: window {tuple(wins.shape[-2:])} is not a multiple of the VFM's patch "
                                  f"size {segmenter.vfm.patch_size}; use a VFM with patch {p}")
            return wins

        # VFM features of every window first: the reference runs all windows of an image as one
        # batch and its PAM mean(S) is over that batch (pam_mean='image'); small: (n, C', h, w)
        feats = [segmenter.vfm(segmenter.unnormalize(windows(c))) for c in chunks]
        mean = torch.cat([similarity_mean(f) for f in feats]).mean() if self.pam_mean == "image" else None
        maps = torch.cat([self.window_maps(segmenter, windows(c), f, mean).float() for c, f in zip(chunks, feats)])
        r = maps.shape[-1] * p // (boxes[0][3] - boxes[0][2])
        spliced = splice_windows(maps, token_boxes(boxes, p, r), (th // p * r, tw // p * r))  # (C, Hs, Ws)
        # SAM on the whole image (before Trident's resize to patch multiples: SAM resizes it anyway),
        # or on its left and right halves (sam_split=2: the reference's Cityscapes case)
        pixels = segmenter.unnormalize(image[None])
        ws, wp = spliced.shape[-1], pixels.shape[-1]
        parts = [(pixels, spliced)] if self.sam_split == 1 else \
            [(pixels[..., :wp // 2], spliced[..., :ws // 2]), (pixels[..., wp // 2:], spliced[..., ws // 2:])]
        outs = []
        for px, part in parts:
            attn, v, (sh, sw) = guide.last_attention(px)
            weights = sam_guidance_weights(attn, v, cos_fac=self.cos_fac, cap=self.cap,
                                           refine_neg_cos=bool(self.refine_neg_cos))  # (1, M, M)
            dst = F.interpolate(part[None], size=(sh, sw), mode="bilinear", align_corners=False)
            out = torch.bmm(weights, dst.flatten(2).transpose(1, 2))  # (1, M, C)
            outs.append(out[0].t().reshape(-1, sh, sw))
        if len({o.shape[1] for o in outs}) > 1:
            raise ConfigError(f"trident sam_split=2: the two halves' SAM grids differ in height "
                              f"({', '.join(str(o.shape[1]) for o in outs)}); use sam_split=1 for this image size")
        out = torch.cat(outs, dim=-1)  # (C, sh, sw)
        c, sh, sw = out.shape
        feats = clip._project(out.reshape(c, -1).t().to(clip.visual.proj.dtype))  # (M, D)
        return feats.t().reshape(-1, sh, sw)
