#!/usr/bin/env python
"""Cityscapes ``*_gtFine_labelTrainIds.png`` (19 classes) from the released ``*_gtFine_labelIds.png``.

    python tools/dataset_converters/cityscapes.py data/cityscapes               # val and train
    python tools/dataset_converters/cityscapes.py data/cityscapes --split val

Input: ``ROOT/gtFine/<split>/<city>/<name>_gtFine_labelIds.png`` (gtFine_trainvaltest.zip). Output
next to each: ``<name>_gtFine_labelTrainIds.png`` with the official id -> trainId table (the
cityscapesScripts ``labels.py`` table: 19 evaluated classes 0..18, all else 255), so
``cityscapesscripts`` is not needed. MMSeg's converter renders the polygons instead; the released
labelIds PNGs are the official rendering of the same polygons.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, Optional, Sequence

import numpy as np
from PIL import Image

#: official Cityscapes label id -> train id for the 19 evaluated classes (labels.py); others -> 255
ID_TO_TRAIN_ID: Dict[int, int] = {
    7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10, 24: 11, 25: 12, 26: 13,
    27: 14, 28: 15, 31: 16, 32: 17, 33: 18,
}
IGNORE = 255
SRC_SUFFIX = "_gtFine_labelIds.png"
DST_SUFFIX = "_gtFine_labelTrainIds.png"


def train_id_lut() -> np.ndarray:
    """Lookup table label id (0..255) -> train id, ``(256,)`` uint8."""
    lut = np.full(256, IGNORE, dtype=np.uint8)
    for k, v in ID_TO_TRAIN_ID.items():
        lut[k] = v
    return lut


def to_train_ids(label_ids: np.ndarray) -> np.ndarray:
    """``(H, W)`` label ids -> ``(H, W)`` uint8 train ids (0..18, 255)."""
    label_ids = np.asarray(label_ids)
    if label_ids.ndim != 2:
        raise ValueError(f"label map has shape {label_ids.shape}, expected (H, W) label ids")
    return train_id_lut()[label_ids.astype(np.uint8)]


def convert(root: Path, splits: Sequence[str] = ("val", "train")) -> Dict[str, int]:
    counts = {}
    for split in splits:
        src_dir = root / "gtFine" / split
        files = sorted(src_dir.rglob(f"*{SRC_SUFFIX}")) if src_dir.is_dir() else []
        if not files:
            raise FileNotFoundError(f"no *{SRC_SUFFIX} under {src_dir}: extract gtFine_trainvaltest.zip into {root}")
        for f in files:
            out = f.with_name(f.name[: -len(SRC_SUFFIX)] + DST_SUFFIX)
            Image.fromarray(to_train_ids(np.array(Image.open(f)))).save(out)
        counts[split] = len(files)
    return counts


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("root", help="Cityscapes folder holding gtFine/ and leftImg8bit/")
    p.add_argument("--split", nargs="+", default=["val", "train"], choices=["train", "val", "test"])
    args = p.parse_args(argv)
    try:
        counts = convert(Path(args.root), args.split)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for split, n in counts.items():
        print(f"{split}: {n} label maps -> *{DST_SUFFIX}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
