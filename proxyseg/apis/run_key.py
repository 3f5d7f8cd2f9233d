"""What an evaluation's numbers depend on, as a small dict of digests (no torch, no mmseg):
the resolved config, the data (root + a cheap fingerprint of its file list), the weight files
(size + mtime), the code, and seed / amp / limit. Resumed evaluations compare it to decide
whether stored counts may be reused; results.json records it."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Dict, Iterable, Mapping, Optional

from ..paths import PACKAGE_ROOT as PACKAGE  # noqa: E402
# config entries that never change the numbers (where files go, run names, console, resume bookkeeping)
VOLATILE = ("work_dir", "experiment_name", "launcher", "visualizer", "default_hooks", "custom_hooks",
            "log_level", "log_processor", "env_cfg")


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def config_digest(cfg: Mapping) -> str:
    cfg = cfg.to_dict() if hasattr(cfg, "to_dict") else dict(cfg)
    d = {k: v for k, v in cfg.items() if k not in VOLATILE}
    ev = dict(d.get("test_evaluator") or {})
    for k in ("resume_dir", "resume_chunk"):
        ev.pop(k, None)
    d["test_evaluator"] = ev
    return _digest(d)


def files_fingerprint(paths: Iterable[Path]) -> str:
    """Names, sizes and mtimes of every file under ``paths`` (stat only, no reads)."""
    rows = []
    for root in paths:
        root = Path(root)
        if root.is_file():
            st = root.stat()
            rows.append((str(root), st.st_size, st.st_mtime_ns))
            continue
        for dirpath, _, names in os.walk(root):
            for n in names:
                try:
                    st = os.stat(os.path.join(dirpath, n))
                except OSError:
                    continue
                rows.append((os.path.relpath(os.path.join(dirpath, n), root), st.st_size, st.st_mtime_ns))
    return _digest(sorted(rows))


def code_digest() -> str:
    """Hash of proxyseg's source files (content, so a checkout that changes nothing keeps it)."""
    h = hashlib.sha256()
    for p in sorted(PACKAGE.rglob("*.py")):
        h.update(str(p.relative_to(PACKAGE)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def run_key(cfg: Mapping, *, weights_folder: Optional[Path] = None) -> Dict[str, str]:
    """``{config, data, weights, code, seed, amp, limit}`` for an evaluation config."""
    cfg = cfg.to_dict() if hasattr(cfg, "to_dict") else dict(cfg)
    ds = dict(cfg["test_dataloader"]["dataset"])
    root = Path(str(ds.get("data_root", "")))
    model = dict(cfg.get("model") or {})
    weight_files = [Path(str(p)).expanduser() for p in (
        (model.get("vfm") or {}).get("checkpoint"), (model.get("clip") or {}).get("checkpoint"), cfg.get("load_from"))
        if p]
    if weights_folder is not None:
        weight_files.append(Path(weights_folder))
    return dict(
        config=config_digest(cfg),
        data=f"{root.resolve()}:{files_fingerprint([root]) if root.exists() else 'missing'}",
        weights=files_fingerprint([p for p in weight_files if p.exists()]),
        code=code_digest(),
        seed=str((cfg.get("randomness") or {}).get("seed")),
        amp=str(model.get("amp")),
        limit=str(ds.get("indices")),
    )
