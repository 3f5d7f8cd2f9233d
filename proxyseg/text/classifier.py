"""Text classifier: class-name embeddings computed once per (model, names, templates), cached."""
from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import unicodedata
from collections import OrderedDict
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..errors import ClassNamesError
from ..utils.io import atomic_write_bytes
from .templates import OPENAI_IMAGENET_TEMPLATES

log = logging.getLogger(__name__)


CACHE_VERSION = 2  # bump when the stored format or the embedding recipe changes


def model_identity(clip_model: nn.Module) -> str:
    """The text tower's architecture: class name and every text parameter's name and shape."""
    shapes = [f"{n}:{tuple(p.shape)}" for n, p in _text_params(clip_model)]
    # the activation is not a weight: QuickGELU and GELU models with the same weights must not share a cache
    acts = sorted({type(m).__name__ for m in clip_model.modules() if "gelu" in type(m).__name__.lower()})
    return (f"{type(clip_model).__module__}.{type(clip_model).__qualname__}|" + ",".join(shapes)
            + "|act:" + ",".join(acts))


def model_fingerprint(clip_model: nn.Module) -> str:
    """A hash that changes with the text tower's weights (cheap: a strided sample of every tensor).

    Every text parameter (``visual.*`` excluded: it does not change text embeddings) contributes
    its shape, its sum and up to 4096 evenly spaced values, so a fine-tuned block changes the
    fingerprint even where the embeddings are untouched.
    """
    h = hashlib.sha256()
    for name, t in _text_params(clip_model):
        t = t.detach().float().cpu().flatten()
        step = max(1, t.numel() // 4096)
        h.update(name.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t[::step][:4096].numpy().tobytes())
        h.update(torch.tensor([t.double().sum().item()]).numpy().tobytes())
    return h.hexdigest()[:32]


def _text_params(clip_model: nn.Module) -> List[Tuple[str, torch.Tensor]]:
    out = [(n, p) for n, p in clip_model.named_parameters() if not n.startswith("visual.")]
    out += [(n, b) for n, b in clip_model.named_buffers() if not n.startswith("visual.")]
    return sorted(out, key=lambda x: x[0])


def _check_queries(queries: Sequence[str]) -> List[str]:
    """Queries as a list of str; control characters (tab, newline, ``\\x1e``, ...) are refused."""
    out = []
    for q in queries:
        if not isinstance(q, str):
            raise ClassNamesError(f"class names must be strings, got {type(q).__name__} {q!r}")
        bad = sorted({c for c in q if unicodedata.category(c) == "Cc"})
        if bad:
            codes = ", ".join(f"U+{ord(c):04X}" for c in bad)
            raise ClassNamesError(f"class name {q!r} contains control character(s) {codes}; "
                                  "remove them from the class list")
        out.append(q)
    return out


class TextClassifier:
    """L2-normalised text embeddings ``(Q, D)`` of queries, averaged over templates.

    Each template embedding is L2-normalised, then averaged over templates and re-normalised
    (as upstream). Results are kept in memory per query list (the ``max_entries`` most recent
    lists) and on disk under ``cache_dir`` (``None`` disables the disk cache).

    Cache key: SHA-256 of the JSON encoding of ``[version, model identity, weights fingerprint,
    tokenizer, templates, queries]``. JSON is unambiguous, so two different class lists never
    share a key; each disk entry also stores that JSON and is used only when it matches exactly.
    A corrupt, truncated or foreign cache file is ignored and rewritten.
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
        self._model_key: Optional[Tuple[str, str]] = None

    def key_payload(self, queries: Sequence[str]) -> str:
        """The canonical JSON of everything that changes the embeddings of ``queries``."""
        if self._model_key is None:
            self._model_key = (model_identity(self.clip_model), model_fingerprint(self.clip_model))
        tok = self.tokenizer
        tok_id = f"{type(tok).__module__}.{type(tok).__qualname__}:{getattr(tok, 'context_length', '')}"
        return json.dumps([CACHE_VERSION, *self._model_key, tok_id, self.templates, list(queries)],
                          ensure_ascii=True, separators=(",", ":"))

    def _key(self, queries: Sequence[str]) -> str:
        return hashlib.sha256(self.key_payload(queries).encode("ascii")).hexdigest()

    @torch.no_grad()  # not inference_mode: the embeddings are reused in ordinary tensors ops
    def encode(self, queries: Sequence[str]) -> torch.Tensor:
        """``Q`` names -> ``(Q, D)`` float32 embeddings (CPU), computed once, then cached."""
        queries = _check_queries(queries)
        payload = self.key_payload(queries)
        key = hashlib.sha256(payload.encode("ascii")).hexdigest()
        if key in self._memory:
            self._memory.move_to_end(key)
            return self._memory[key]
        path = self.cache_dir / f"{key}.pt" if self.cache_dir else None
        emb = self._load(path, payload, len(queries)) if path is not None else None
        if emb is None:
            emb = self._compute(queries)
            if path is not None:
                self._store(path, payload, emb)
        self._memory[key] = emb
        while len(self._memory) > self.max_entries:
            self._memory.popitem(last=False)
        return emb

    @staticmethod
    def _load(path: Path, payload: str, n: int) -> Optional[torch.Tensor]:
        """The stored embeddings if ``path`` is a valid entry for exactly ``payload``, else ``None``."""
        if not path.is_file():
            return None
        try:
            entry = torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # truncated, corrupt, not a torch file: recomputed and rewritten
            log.warning("text cache file %s is unreadable; recomputing it", path)
            return None
        emb = entry.get("embeddings") if isinstance(entry, dict) else None
        if (entry.get("key") if isinstance(entry, dict) else None) != payload or not isinstance(emb, torch.Tensor) \
                or emb.dim() != 2 or emb.shape[0] != n or emb.dtype != torch.float32 or not torch.isfinite(emb).all():
            log.warning("text cache file %s does not match its key; recomputing it", path)
            return None
        return emb

    @staticmethod
    def _store(path: Path, payload: str, emb: torch.Tensor) -> None:
        buf = io.BytesIO()
        torch.save({"key": payload, "embeddings": emb}, buf)
        try:
            atomic_write_bytes(path, buf.getvalue(), fsync=False)
        except OSError:
            pass  # a read-only cache is not an error

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
