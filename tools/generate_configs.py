#!/usr/bin/env python
"""Write the ProxyCLIP benchmark configs (10 datasets x 3 CLIP backbones) from proxyseg/data/benchmarks.py.

    python tools/generate_configs.py            # (re)write configs/proxyclip/proxyclip_vit-*_dino-b8_*.py
    python tools/generate_configs.py --check    # exit 1 if a committed config differs from the table
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, Optional, Sequence

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from proxyseg.data.benchmarks import BACKBONES, DATASETS, config_name, config_text  # noqa: E402


def generated() -> Dict[Path, str]:
    """``{path: text}`` of every generated config."""
    out = {}
    for b in BACKBONES:
        for d in DATASETS:
            out[REPO / "configs" / "proxyclip" / f"{config_name(b.key, d.key)}.py"] = config_text(b.key, d.key)
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="compare only; exit 1 on a difference")
    args = p.parse_args(argv)
    stale = []
    for path, text in generated().items():
        if args.check:
            if not path.is_file() or path.read_text() != text:
                stale.append(path.relative_to(REPO).as_posix())
        else:
            path.write_text(text)
    if stale:
        print(f"{len(stale)} configs differ from proxyseg/data/benchmarks.py (e.g. {stale[0]}): "
              "run python tools/generate_configs.py", file=sys.stderr)
        return 1
    print(("checked" if args.check else "wrote") + f" {len(generated())} configs in configs/proxyclip")
    return 0


if __name__ == "__main__":
    sys.exit(main())
