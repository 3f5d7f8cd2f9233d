"""Text classifier: class-name embeddings computed once per (model, names, templates), cached."""
from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from pathlib import Path
from typing import Callable, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .templates import OPENAI_IMAGENET_TEMPLATES


def model_fingerprint(clip_model: nn.Module) -> str:
    """A short hash that changes with the text tower's weights (cheap: a few tensors)."""
    h = hashlib.sha1()
    params = dict(clip_model.named_parameters())
    for name in ("text_projection", "positional_embedding", "ln_final.weight", "token_embedding.weight"):
        t = params.get(name)
        if t is None:
            t = getattr(clip_model, name, None)
        if isinstance(t, torch.Tensor):
            t = t.detach().float().cpu()
            h.update(str(tuple(t.shape)).encode())
            h.update(t.flatten()[:4096].numpy().tobytes())
    # the activation is not a weight: QuickGELU and GELU models with the same weights must not share a cache
    acts = sorted({type(m).__name__ for m in clip_model.modules() if "gelu" in type(m).__name__.lower()})
    h.update(",".join(acts).encode())
    return h.hexdigest()[:16]


class TextClassifier:
    """L2-normalised text embeddings ``(Q, D)`` of queries, averaged over templates.

    Each template embedding is L2-normalised, then averaged over templates and re-normalised
    (as upstream). Results are kept in memory per query list (the ``max_entries`` most recent
    lists) and on disk under ``cache_dir`` (``None`` disables the disk cache).
    """

    def __init__(self, clip_model: nn.Module, tokenizer: Callable, templates: Sequence[str] = OPENAI_IMAGENET_TEMPLATES,
                 cache_dir: Optional[os.PathLike] = None, batch_size: int = 256, max_entries: int = 256):
        self.clip_model = clip_model
        self.tokenizer = tokenizer
        self.templates = list(templates)
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.batch_size = batch_size
        self.max_entries = max_entries
        self._memory: "OrderedDict[str, torch.Tensor]" = OrderedDict()
        self._fingerprint: Optional[str] = None

    def _key(self, queries: Sequence[str]) -> str:
        if self._fingerprint is None:
            self._fingerprint = model_fingerprint(self.clip_model)
        h = hashlib.sha1(self._fingerprint.encode())
        h.update("\x1f".join(self.templates).encode())
        h.update("\x1e".join(queries).encode())
        return h.hexdigest()

    @torch.no_grad()  # not inference_mode: the embeddings are reused in ordinary tensors ops
    def encode(self, queries: Sequence[str]) -> torch.Tensor:
        """``Q`` names -> ``(Q, D)`` float32 embeddings (CPU), computed once, then cached."""
        key = self._key(queries)
        if key in self._memory:
            self._memory.move_to_end(key)
            return self._memory[key]
        path = self.cache_dir / f"{key}.pt" if self.cache_dir else None
        emb = None
        if path is not None and path.is_file():
            try:
                emb = torch.load(path, map_location="cpu", weights_only=True)
                if emb.shape[0] != len(queries):
                    emb = None
            except Exception:
                emb = None
        if emb is None:
            emb = self._compute(queries)
            if path is not None:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_suffix(f".tmp{os.getpid()}")
                    torch.save(emb, tmp)
                    os.replace(tmp, path)
                except OSError:
                    pass  # a read-only cache is not an error
        self._memory[key] = emb
        while len(self._memory) > self.max_entries:
            self._memory.popitem(last=False)
        return emb

    def _compute(self, queries: Sequence[str]) -> torch.Tensor:
        unique = list(dict.fromkeys(queries))
        if len(unique) < len(queries):
            # a name listed twice (upstream's COCO-Object file: 'bed') gets bit-identical rows, so its
            # two queries tie exactly and the lower class index wins, as in upstream's per-query loop
            emb = self._compute(unique)
            pos = {q: i for i, q in enumerate(unique)}
            return emb[[pos[q] for q in queries]]
        model = self.clip_model
        device = next(model.parameters()).device
        prompts: List[str] = [t.format(q) for q in queries for t in self.templates]
        feats = []
        for i in range(0, len(prompts), self.batch_size):
            tokens = self.tokenizer(prompts[i:i + self.batch_size]).to(device)
            feats.append(F.normalize(model.encode_text(tokens).float(), dim=-1).cpu())
        feats = torch.cat(feats).view(len(queries), len(self.templates), -1)
        return F.normalize(feats.mean(dim=1), dim=-1)
