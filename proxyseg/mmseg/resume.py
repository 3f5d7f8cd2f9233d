"""Resumable evaluation: per-chunk confusion counts on disk, a sampler that skips finished images.

Layout of ``<work_dir>/resume/``::

    key.json            what the numbers depend on (see :func:`proxyseg.apis.run_key.run_key`)
    chunk_000000.pt     per-image (intersect, union, pred, label) counts of images 0..k-1, in order
    chunk_000001.pt     ... each written to a temp file, fsynced and renamed (atomic)

After a ``kill -9`` the same command finds the chunks, checks the key, and the sampler starts at the
first image not yet counted; the metric prepends the stored counts, so the sums (and the mIoU)
are exactly those of an uninterrupted run. A finished run removes the folder.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator, List, Optional, Sequence

import torch
from mmengine.dataset import DefaultSampler
from mmseg.registry import DATA_SAMPLERS

STATE_DIR = "resume"


def state_dir(work_dir: os.PathLike) -> Path:
    return Path(work_dir) / STATE_DIR


def prepare(work_dir: os.PathLike, key: dict) -> tuple:
    """``(images already counted, what changed)``: a state with another key is removed
    (``changed`` names the components that differ); none: ``(0, [])``."""
    d = state_dir(work_dir)
    try:
        old = json.loads((d / "key.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = None
    if old is not None and old != key:
        changed = sorted(k for k in set(old) | set(key) if old.get(k) != key.get(k))
        shutil.rmtree(d, ignore_errors=True)
        return 0, changed or ["key"]
    if old is None:
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True, exist_ok=True)
        _atomic_bytes(d / "key.json", json.dumps(key, indent=1, sort_keys=True).encode())
        return 0, []
    return len(load_counts(d)), []


def load_counts(d: os.PathLike) -> List[tuple]:
    """The per-image counts stored in the state folder ``d``, in image order; an unreadable chunk
    and every chunk after it are removed (recomputed)."""
    out: List[tuple] = []
    chunks = sorted(Path(d).glob("chunk_*.pt"))
    for i, p in enumerate(chunks):
        try:
            stacked = torch.load(p, map_location="cpu", weights_only=True)
        except Exception:
            for q in chunks[i:]:
                q.unlink(missing_ok=True)
            break
        out.extend(tuple(row) for row in stacked)
    return out


def save_chunk(d: os.PathLike, index: int, counts: Sequence[tuple]) -> None:
    """Write ``counts`` (per image: 4 tensors of shape ``(num_classes,)``) as chunk ``index`` of ``d``."""
    if not counts:
        return
    stacked = torch.stack([torch.stack([torch.as_tensor(t).double().cpu() for t in c]) for c in counts])
    d = Path(d)
    fd, tmp = tempfile.mkstemp(prefix=".chunk.", dir=str(d))
    with os.fdopen(fd, "wb") as f:
        torch.save(stacked, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, d / f"chunk_{index:06d}.pt")


def finish(work_dir: os.PathLike) -> None:
    shutil.rmtree(state_dir(work_dir), ignore_errors=True)


def _atomic_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@DATA_SAMPLERS.register_module(force=True)
class SkipSampler(DefaultSampler):
    """``DefaultSampler(shuffle=False)`` that starts at image ``start`` (images before it are
    already counted by a previous, interrupted run)."""

    def __init__(self, dataset, start: int = 0, shuffle: bool = False, seed: Optional[int] = None,
                 round_up: bool = True) -> None:
        super().__init__(dataset, shuffle=False, seed=seed, round_up=False)
        self.start = min(int(start), len(dataset))

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.start, len(self.dataset)))

    def __len__(self) -> int:
        return len(self.dataset) - self.start
