#!/usr/bin/env python
"""Write a small demo folder for "Evaluate on your own data" (README): images/, labels/ (8-bit PNG and
one 16-bit TIFF, non-contiguous raw ids 10/20/30/40 + 255 unlabeled), classes.txt, id_map.json and,
unless --clean, one deliberately broken pair (label smaller than its image).

    python tools/make_folder_demo.py --out data/synthetic/folder
    python tools/check_data.py folder --data-root data/synthetic/folder
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from proxyseg.data.folder_demo import make_folder_demo  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="data/synthetic/folder", help="output folder (default: %(default)s)")
    p.add_argument("--num", type=int, default=4, help="good image/label pairs (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--clean", action="store_true", help="leave out the broken pair")
    a = p.parse_args(argv)
    stems = make_folder_demo(a.out, num=a.num, seed=a.seed, broken=not a.clean)
    print(f"wrote {len(stems)} image/label pairs, classes.txt and id_map.json to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
