"""The upstream ProxyCLIP evaluation loop, re-implemented for benchmarking (not for use).

Written from ../shared/DESIGN.md and issue 5, not copied. It runs the *same model objects* as a
:class:`~proxyseg.models.OpenVocabSegmenter` (the open_clip ``VisionTransformer`` parts, the timm
DINO modules, the CLIP text tower) through upstream's own glue, so that ``tools/benchmark.py``
can time the harness around the networks and check that both produce the same logits.

Call graph (one image)::

    ReferenceLoop(seg)                       # start-up: encode_text() re-encodes every prompt
    predict(image) -> forward_slide(image)   # one window per forward, in MMSeg's window order
      for each window:
        pad to the patch multiple
        forward_feature(window)
          register a forward hook on DINO blocks[-1].attn.qkv   # every call, never removed
          per image in the batch: norm(unnorm(x))                # CLIP norm -> [0,1] -> ImageNet norm
          DINO get_intermediate_layers(x, n=1)[0] -> patch tokens -> (B, C, h, w)
            (DINO hub blocks: explicit softmax(q k^T) attention, no scaled_dot_product_attention)
          CLIP encode_image(window, external_feats)  # all blocks but the last, PAM on the last
          L2-normalise -> @ text.T -> (B, Q, h, w) -> bilinear to the window size
        torch.cuda.empty_cache()                              # after every window (CUDA)
        cut the pad; preds += F.pad(window logits, to the full image size)   # full-size pad
        count[:, :, y1:y2, x1:x2] += 1
      preds / count -> bilinear to the output size (always called, even when the size is equal)
    postprocess(logits) -> softmax(logit_scale * logits) over queries
      -> synonyms: (K, Q, H, W) one-hot product, max over Q (upstream's broadcast)
      -> argmax; max prob < prob_thd -> 0

Faithful on purpose (these are what the benchmark measures): the per-call hook (the hooks pile
up, as upstream's did; ``hook_count`` reports how many), ``empty_cache`` per window, the
full-image zero pad per window, the per-image normalisation loop, DINO's explicit attention
(``(B, heads, N, N)`` scores; proxyseg's timm blocks use ``scaled_dot_product_attention``), ``torch.no_grad`` (mmengine's
test loop) instead of ``inference_mode``, text re-encoding at start-up (timed separately:
``text_seconds``).

Differences from upstream, none of which changes a logit:

- PAM's ``mean(S)`` is taken over the whole batch, as upstream; windows run one at a time here
  (batch 1), so this equals proxyseg's per-image mean. Upstream's NaN rows (a window whose
  similarity row is all below ``beta * mean``, e.g. a uniform image) are kept (upstream
  semantics); proxyseg keeps those rows finite instead. Benchmark images are never uniform.
- The weights stay in their dtype (fp32). Upstream casts the networks to fp16 (``.half()``);
  ``weights_dtype=torch.float16`` reproduces that on copies of the networks (GPU runs only).
- Only ``method='proxyclip'`` without feature adjustment (the published path) is implemented.
"""
from __future__ import annotations

import contextlib
import copy
import math
import time
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..errors import ConfigError
from ..methods.proxyclip import ProxyCLIP

__all__ = ["ReferenceLoop"]


def _interp_pos_encoding(pos_embed: torch.Tensor, n_prefix: int, gh: int, gw: int) -> torch.Tensor:
    """DINO's ``interpolate_pos_encoding``: ``(1, P + N0, C) -> (1, P + gh*gw, C)``."""
    n0 = pos_embed.shape[1] - n_prefix
    if n0 == gh * gw and gh == gw:
        return pos_embed
    prefix, grid = pos_embed[:, :n_prefix], pos_embed[:, n_prefix:]
    dim = pos_embed.shape[-1]
    side = int(math.sqrt(n0))
    h0, w0 = gh + 0.1, gw + 0.1  # the 0.1 avoids floating point error in the scale factor
    grid = F.interpolate(grid.reshape(1, side, side, dim).permute(0, 3, 1, 2),
                         scale_factor=(h0 / side, w0 / side), mode="bicubic")
    grid = grid.permute(0, 2, 3, 1).reshape(1, -1, dim)
    return torch.cat([prefix, grid], dim=1)


def _dino_block(blk: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """DINO hub's ``Block.forward`` on a timm block's modules: explicit attention, no SDPA.

    ``attn = softmax((q @ k^T) * scale)`` materialises ``(B, heads, N, N)``, as the DINO code
    upstream loads through ``torch.hub`` does.
    """
    attn = blk.attn
    b, n, c = x.shape
    qkv = attn.qkv(blk.norm1(x)).reshape(b, n, 3, attn.num_heads, c // attn.num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    a = (q @ k.transpose(-2, -1)) * attn.scale
    a = a.softmax(dim=-1)
    y = attn.proj((a @ v).transpose(1, 2).reshape(b, n, c))
    x = x + blk.ls1(y)
    return x + blk.ls2(blk.mlp(blk.norm2(x)))


class ReferenceLoop:
    """Upstream's per-window loop around a segmenter's networks (see the module docstring).

    Args:
        seg: an :class:`~proxyseg.models.OpenVocabSegmenter` with ``method='proxyclip'``; its
            networks, class names, templates and parameters are used.
        weights_dtype: ``torch.float32`` (default) or ``torch.float16``/``bfloat16``: run upstream's
            ``.half()`` style on cast *copies* of the vision networks (the segmenter is untouched).
        encode_text: re-encode the prompts now (as upstream's ``__init__``); ``False`` defers it
            to the first :meth:`predict`.
        dino_attention: ``'explicit'`` (DINO hub code, as upstream) or ``'sdpa'`` (the timm
            blocks' own forward): the latter isolates the loop's overhead from the attention kernel.
    """

    def __init__(self, seg: nn.Module, *, weights_dtype: torch.dtype = torch.float32, encode_text: bool = True,
                 dino_attention: str = "explicit"):
        if not isinstance(seg.method, ProxyCLIP) or seg.vfm is None:
            raise ConfigError("the reference loop implements upstream's ProxyCLIP path only (method='proxyclip')")
        if seg.feature_adjust:
            raise ConfigError("the reference loop does not implement feature_adjust")
        if dino_attention not in ("explicit", "sdpa"):
            raise ConfigError(f"dino_attention must be 'explicit' or 'sdpa', got {dino_attention!r}")
        self.dino_attention = dino_attention
        self.seg = seg
        self.clip_model = seg.clip_model
        self.visual = seg.clip.visual
        self.vfm = seg.vfm
        self.dtype = weights_dtype
        if weights_dtype != torch.float32:  # upstream: model.half(); on copies, the segmenter stays fp32
            self.visual = copy.deepcopy(self.visual).to(weights_dtype)
            self.vfm = copy.deepcopy(self.vfm).to(weights_dtype)
        self.is_dino = getattr(self.vfm, "vfm_type", None) == "dino"
        self.feature = getattr(self.vfm, "feature", "token")
        self.device = seg.clip_mean.device
        self._hooks = []  # upstream never removes its hooks; close() does, to leave shared models clean
        self.query_features: Optional[torch.Tensor] = None
        self.text_seconds: Optional[float] = None
        if encode_text:
            self.encode_text()

    @property
    def hook_count(self) -> int:
        """Hooks this loop registered (and left in place, as upstream) so far."""
        return len(self._hooks)

    def close(self) -> None:
        """Remove the hooks (upstream never does; the benchmark does, the models are shared)."""
        for h in self._hooks:
            h.remove()
        self._hooks.clear()

    @contextlib.contextmanager
    def paused(self):
        """Detach this loop's hooks for a while (another path timed on the same shared models)."""
        qkv = self.vfm.model.blocks[-1].attn.qkv if self.is_dino else None
        ids = {h.id for h in self._hooks}
        saved = {k: v for k, v in qkv._forward_hooks.items() if k in ids} if qkv is not None else {}
        for k in saved:
            del qkv._forward_hooks[k]
        try:
            yield
        finally:
            qkv._forward_hooks.update(saved) if qkv is not None else None

    # ---- start-up ---------------------------------------------------------------------------
    @torch.no_grad()
    def encode_text(self) -> torch.Tensor:
        """Every prompt through the text tower, per class, as upstream does at every start-up."""
        t0 = time.perf_counter()
        tok = self.seg.text.tokenizer
        feats = []
        for q in self.seg.class_names.queries:
            tokens = tok([t.format(q) for t in self.seg.text.templates]).to(self.device)
            f = self.clip_model.encode_text(tokens)
            f = f / f.norm(dim=-1, keepdim=True)
            f = f.mean(dim=0)
            feats.append((f / f.norm()).unsqueeze(0))
        self.query_features = torch.cat(feats, dim=0).float()  # (Q, D)
        self.query_idx = torch.tensor(self.seg.class_names.query_idx, device=self.device)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        self.text_seconds = time.perf_counter() - t0
        return self.query_features

    # ---- networks ---------------------------------------------------------------------------
    def _normalize_for_vfm(self, img: torch.Tensor) -> torch.Tensor:
        """Per image of the batch: undo CLIP's normalisation, apply the VFM's (upstream loop)."""
        seg, vfm = self.seg, self.vfm
        out = []
        for x in img:
            x = x * seg.clip_std[0].to(x.dtype) + seg.clip_mean[0].to(x.dtype)  # unnorm: -> [0, 1]
            if vfm.normalize:
                x = (x - vfm.mean[0].to(x.dtype)) / vfm.std[0].to(x.dtype)
            out.append(x)
        return torch.stack(out, dim=0)

    def _dino_features(self, x: torch.Tensor) -> torch.Tensor:
        """DINO hub ``get_intermediate_layers(x, n=1)[0]`` on timm's modules -> ``(B, C, h, w)``.

        A hook on the last block's ``qkv`` is registered on every call and never removed (as
        upstream); its output is used only for ``feature='key'``.
        """
        m = self.vfm.model
        feat_out = {}

        def hook_fn_forward_qkv(module, inputs, output):
            feat_out["qkv"] = output

        self._hooks.append(m.blocks[-1].attn.qkv.register_forward_hook(hook_fn_forward_qkv))
        b = x.shape[0]
        p = m.patch_embed.patch_size[0]
        gh, gw = x.shape[-2] // p, x.shape[-1] // p
        # prepare_tokens: patch embedding, class token, interpolated position encoding
        tokens = m.patch_embed.norm(m.patch_embed.proj(x).flatten(2).transpose(1, 2))
        tokens = torch.cat([m.cls_token.expand(b, -1, -1), tokens], dim=1)
        tokens = tokens + _interp_pos_encoding(m.pos_embed, 1, gh, gw)
        tokens = m.pos_drop(tokens)
        output = []
        for i, blk in enumerate(m.blocks):
            tokens = _dino_block(blk, tokens) if self.dino_attention == "explicit" else blk(tokens)
            if len(m.blocks) - i <= 1:
                output.append(m.norm(tokens))
        feat = output[0]
        if self.feature == "key":
            n, c = tokens.shape[1], tokens.shape[2]
            feat = feat_out["qkv"].reshape(b, n, 3, c)[:, :, 1]
        return feat[:, 1:].reshape(b, gh, gw, -1).permute(0, 3, 1, 2)

    def _pam_last_block(self, block: nn.Module, x: torch.Tensor, ex_feats: torch.Tensor,
                        token_size: Tuple[int, int]) -> torch.Tensor:
        """Upstream's ``custom_attn`` with external features: ``(B, 1+N, C) -> (B, hw, C)``."""
        attn = block.attn
        heads = attn.num_heads
        bsz, _, embed_dim = x.shape
        head_dim = embed_dim // heads
        _, _, v = F.linear(block.ln_1(x), attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
        b, c, h, w = ex_feats.shape
        f = F.normalize(ex_feats.reshape(b, c, h * w), dim=1)
        similarity = torch.einsum("bcm,bcn->bmn", f, f)
        similarity = (similarity - torch.mean(similarity) * self.seg.method.beta) * self.seg.method.gamma  # batch-wide mean
        similarity[similarity < 0.0] = float("-inf")
        attn_weights = F.softmax(similarity, dim=-1)  # (B, hw, hw)
        # values per head, resized from the CLIP grid to the VFM grid
        v = v[:, 1:].reshape(bsz, token_size[0], token_size[1], heads, head_dim)
        v = v.permute(0, 3, 4, 1, 2).reshape(bsz * heads, head_dim, *token_size)
        v = F.interpolate(v, size=(h, w), mode="bilinear", align_corners=False)
        v = v.reshape(bsz, heads, head_dim, h * w).transpose(2, 3)  # (B, heads, hw, d)
        out = torch.matmul(attn_weights.unsqueeze(1).to(v.dtype), v)  # same weights for every head
        out = out.transpose(1, 2).reshape(bsz, h * w, embed_dim)
        return attn.out_proj(out)

    def _encode_image(self, img: torch.Tensor, ex_feats: torch.Tensor) -> torch.Tensor:
        """Upstream's ``encode_image(img, external_feats)``: ``(B, 3, H, W) -> (B, hw, D)``."""
        vis = self.visual
        x = vis.conv1(img)
        gh, gw = x.shape[-2:]
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)  # (B, N, C)
        cls = vis.class_embedding.to(x.dtype) + torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype,
                                                            device=x.device)
        x = torch.cat([cls, x], dim=1)
        x = x + _interp_pos_encoding(vis.positional_embedding.unsqueeze(0), 1, gh, gw).to(x.dtype)
        x = vis.patch_dropout(x)
        x = vis.ln_pre(x)
        blocks = vis.transformer.resblocks
        for blk in blocks[:-1]:
            x = blk(x)
        x = self._pam_last_block(blocks[-1], x, ex_feats, (gh, gw))
        x = vis.ln_post(x)
        return x @ vis.proj

    def forward_feature(self, img: torch.Tensor) -> torch.Tensor:
        """``(B, 3, h, w)`` CLIP-normalised window -> ``(B, Q, h, w)`` cosine logits."""
        img = img.to(self.dtype)
        imgs_norm = self._normalize_for_vfm(img)
        if self.is_dino:
            ex_feats = self._dino_features(imgs_norm)
        else:  # other VFMs: their own forward on [0, 1] pixels (normalised inside)
            ex_feats = self.vfm(self._unnorm(img))
        feats = self._encode_image(img, ex_feats).float()
        feats = feats / feats.norm(dim=-1, keepdim=True)
        logits = feats @ self.query_features.T  # (B, hw, Q)
        h, w = ex_feats.shape[-2:]
        logits = logits.permute(0, 2, 1).reshape(-1, logits.shape[-1], h, w)
        return F.interpolate(logits, size=img.shape[-2:], mode="bilinear")

    def _unnorm(self, img):
        seg = self.seg
        return torch.stack([x * seg.clip_std[0].to(x.dtype) + seg.clip_mean[0].to(x.dtype) for x in img])

    # ---- loop -------------------------------------------------------------------------------
    @staticmethod
    def _pad_size(h: int, w: int, multiple: int) -> Tuple[int, int, int, int]:
        l = r = t = b = 0
        if w % multiple:
            lr = multiple - w % multiple
            l, r = lr // 2, lr - lr // 2
        if h % multiple:
            tb = multiple - h % multiple
            t, b = tb // 2, tb - tb // 2
        return l, r, t, b

    @torch.no_grad()
    def forward_slide(self, img: torch.Tensor, out_size: Optional[Tuple[int, int]] = None) -> torch.Tensor:
        """``(1, 3, H, W)`` -> ``(1, Q, H', W')`` logits, one window per forward."""
        if self.query_features is None:
            self.encode_text()
        seg = self.seg
        if seg.slide_crop is None:
            h_crop, w_crop = h_stride, w_stride = img.shape[-2:]
        else:
            h_crop = w_crop = seg.slide_crop
            h_stride = w_stride = seg.slide_stride
        _, _, h_img, w_img = img.shape
        q = self.query_features.shape[0]
        h_grids = max(h_img - h_crop + h_stride - 1, 0) // h_stride + 1
        w_grids = max(w_img - w_crop + w_stride - 1, 0) // w_stride + 1
        preds = img.new_zeros((1, q, h_img, w_img), dtype=torch.float32)
        count_mat = img.new_zeros((1, 1, h_img, w_img), dtype=torch.float32)
        for h_idx in range(h_grids):
            for w_idx in range(w_grids):
                y1, x1 = h_idx * h_stride, w_idx * w_stride
                y2, x2 = min(y1 + h_crop, h_img), min(x1 + w_crop, w_img)
                y1, x1 = max(y2 - h_crop, 0), max(x2 - w_crop, 0)
                crop_img = img[:, :, y1:y2, x1:x2]
                H, W = crop_img.shape[2:]
                pad = self._pad_size(H, W, seg.pad_multiple)
                if any(pad):
                    crop_img = F.pad(crop_img, pad)
                crop_seg_logit = self.forward_feature(crop_img).detach()
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
                if any(pad):
                    l, t = pad[0], pad[2]
                    crop_seg_logit = crop_seg_logit[:, :, t:t + H, l:l + W]
                preds += F.pad(crop_seg_logit.float(),
                               (int(x1), int(preds.shape[3] - x2), int(y1), int(preds.shape[2] - y2)))
                count_mat[:, :, y1:y2, x1:x2] += 1
        assert (count_mat == 0).sum() == 0
        preds = preds / count_mat
        size = tuple(out_size) if out_size is not None else (h_img, w_img)
        return F.interpolate(preds, size=size, mode="bilinear")

    @torch.no_grad()
    def postprocess(self, seg_logits: torch.Tensor) -> torch.Tensor:
        """``(Q, H, W)`` logits -> ``(H, W)`` class mask, upstream's way."""
        seg_logits = (seg_logits * self.seg.logit_scale).softmax(0)  # (Q, H, W)
        num_cls, num_queries = int(self.query_idx.max()) + 1, len(self.query_idx)
        if num_cls != num_queries:
            seg_logits = seg_logits.unsqueeze(0)
            cls_index = F.one_hot(self.query_idx)
            cls_index = cls_index.T.view(num_cls, num_queries, 1, 1)
            seg_logits = (seg_logits * cls_index).max(1)[0]
        seg_pred = seg_logits.argmax(0, keepdim=True)
        seg_pred[seg_logits.max(0, keepdim=True)[0] < self.seg.prob_thd] = self.seg.background_idx
        return seg_pred[0]

    def predict_logits(self, image: torch.Tensor, out_size: Optional[Tuple[int, int]] = None) -> torch.Tensor:
        """``(3, H, W)`` CLIP-normalised image -> ``(Q, H', W')`` logits (as ``seg.predict_logits``)."""
        return self.forward_slide(image[None], out_size)[0]

    def predict(self, image: torch.Tensor, out_size: Optional[Tuple[int, int]] = None):
        """``(3, H, W)`` -> ``(logits (Q, H', W'), mask (H', W'))``."""
        logits = self.predict_logits(image, out_size)
        return logits, self.postprocess(logits)
