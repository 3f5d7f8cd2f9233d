"""A sweep cell's files: ``results.json`` (finished iff it parses), ``cell.json`` (bookkeeping),
overlays. Read by the runner and the tables alike (so neither imports the other)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional


def read_json(path: Path) -> Optional[Any]:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read_results(cell_dir: Path) -> Optional[Dict[str, Any]]:
    """tools/test.py's ``results.json`` if it parses and holds metrics; else ``None``."""
    res = read_json(cell_dir / "results.json")
    return res if isinstance(res, dict) and "mIoU" in res else None


def read_state(cell_dir: Path) -> Dict[str, Any]:
    st = read_json(cell_dir / "cell.json")
    return st if isinstance(st, dict) else {}


def cell_status(cell_dir: Path) -> str:
    """``done`` (results parse) | ``failed`` | ``interrupted`` (killed while running) | ``pending``."""
    if read_results(cell_dir) is not None:
        return "done"
    st = read_state(cell_dir).get("status")
    if st == "failed":
        return "failed"
    if st in ("running", "interrupted"):
        return "interrupted"
    return "pending"


def find_overlays(cell_dir: Path) -> List[Path]:
    """Overlay PNGs written by tools/test.py ``--show-dir <cell>/vis``, in test order."""
    vis = cell_dir / "vis"
    if not vis.is_dir():
        return []

    def step(p: Path):
        stem = p.stem
        tail = stem.rsplit("_", 1)[-1]
        return (int(tail) if tail.isdigit() else 1 << 30, stem)

    return sorted((p for p in vis.rglob("*.png") if not p.name.startswith(".")), key=step)
