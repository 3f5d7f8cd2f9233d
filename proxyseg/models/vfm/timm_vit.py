"""Shared pieces for VFMs that are timm ``VisionTransformer`` models."""
from __future__ import annotations

import importlib
from typing import Optional, Sequence

import torch
import torch.nn as nn

from ... import weights as W
from ..pos_embed import interpolate_grid_pos_embed


def create_timm_model(name: str, *, pretrained: bool, checkpoint: Optional[str] = None,
                      aliases: Sequence[str] = (), model_kwargs: Optional[dict] = None) -> nn.Module:
    """A timm model by its hub name (``vit_base_patch8_224.dino``), weights resolved locally first.

    ``pretrained=False``: random weights (``model_kwargs`` may shrink it). ``pretrained=True``:
    ``checkpoint`` file/dir > ``$PROXYSEG_WEIGHTS`` > ``~/.cache/proxyseg`` (files named
    ``<name>.safetensors``/``.pth``) > timm's hub download (skipped when offline).
    """
    import timm

    model_kwargs = dict(model_kwargs or {})
    model_kwargs.setdefault("num_classes", 0)
    if not pretrained:
        return timm.create_model(name, pretrained=False, **model_kwargs)
    stems = [name, *aliases]
    path = W.find_weights(stems, checkpoint)
    if path is not None:
        model = timm.create_model(name, pretrained=False, **model_kwargs)
        sd = W.load_state_dict(path)
        filt = getattr(importlib.import_module(type(model).__module__), "checkpoint_filter_fn", None)
        if filt is not None:
            try:
                sd = filt(sd, model)
            except Exception:  # the strict load below reports what is wrong
                pass
        W.load_into(model, sd, name, path, ignore=("head.", "fc_norm.") if not hasattr(model, "head")
                    or isinstance(getattr(model, "head", None), nn.Identity) else ())
        return model
    source = f"https://huggingface.co/timm/{name}"
    if W.offline():
        raise W.missing(name, stems, source)
    try:
        return timm.create_model(name, pretrained=True, **model_kwargs)
    except Exception as e:
        raise W.missing(name, stems, source, reason=f"download failed: {type(e).__name__}") from None


def vit_tokens(model: nn.Module, x: torch.Tensor, n_blocks: Optional[int] = None):
    """Tokens of a timm ViT after ``n_blocks`` blocks (all when ``None``), calling its parts.

    Position embeddings are resampled to the input's grid with the DINO convention
    (:func:`interpolate_grid_pos_embed`), as DINO/DINOv2 hub code and upstream do.

    Returns:
        ``(tokens (B, P + N, C), grid (h, w))`` with ``P = model.num_prefix_tokens``.
    """
    patches = model.patch_embed.proj(x)  # (B, C, h, w)
    grid = tuple(patches.shape[-2:])
    patches = patches.flatten(2).transpose(1, 2)
    patches = model.patch_embed.norm(patches)
    prefix = []
    if getattr(model, "cls_token", None) is not None:
        prefix.append(model.cls_token.expand(x.shape[0], -1, -1))
    if getattr(model, "reg_token", None) is not None:
        prefix.append(model.reg_token.expand(x.shape[0], -1, -1))
    pe = model.pos_embed
    n_pe_prefix = 0 if model.no_embed_class else model.num_prefix_tokens
    grid_pe = interpolate_grid_pos_embed(pe[0, n_pe_prefix:], tuple(model.patch_embed.grid_size), grid)
    patches = patches + grid_pe.unsqueeze(0).to(patches.dtype)
    if prefix:
        prefix = torch.cat(prefix, dim=1)
        if n_pe_prefix:
            prefix = prefix + pe[:, :n_pe_prefix].to(prefix.dtype)
        tokens = torch.cat([prefix, patches], dim=1)
    else:
        tokens = patches
    tokens = model.norm_pre(model.pos_drop(tokens))
    blocks = model.blocks if n_blocks is None else model.blocks[:n_blocks]
    for blk in blocks:
        tokens = blk(tokens)
    return tokens, grid


def to_map(patch_tokens: torch.Tensor, grid) -> torch.Tensor:
    """``(B, h*w, C) -> (B, C, h, w)``."""
    b, _, c = patch_tokens.shape
    return patch_tokens.transpose(1, 2).reshape(b, c, *grid)
