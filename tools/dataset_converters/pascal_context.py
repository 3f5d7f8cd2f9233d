#!/usr/bin/env python
"""Pascal Context (VOC2010) labels from the release's ``.mat`` label maps, with scipy (no Detail API).

    python tools/dataset_converters/pascal_context.py data/VOCdevkit/VOC2010 trainval.tar.gz-folder
    python tools/dataset_converters/pascal_context.py data/VOCdevkit/VOC2010 data/trainval --split val

Inputs: ``VOC2010`` (``JPEGImages``, ``ImageSets/Main/<split>.txt``) and the folder holding
Pascal Context's ``trainval/<name>.mat`` files (``LabelMap``: uint16, 0 unlabeled, 1..459 the ids of
its ``labels.txt``). Writes under ``VOC2010``:

- ``SegmentationClassContext/<name>.png``: PC60/PC59 labels as MMSeg's ``pascal_context.py``
  converter writes them (0 background = every id outside the 59 classes, 1..59 the classes in
  MMSeg's sorted order); PC59 reads the same files with ``reduce_zero_label=True``.
- ``annotations_detectron2/pc459_<split>/<name>.tif``: PC459 labels as CAT-Seg's
  ``prepare_pascal_context_459.py`` writes them (uint16 ``LabelMap - 1``, so 0..458, and 65535
  unlabeled).
- ``ImageSets/SegmentationContext/<split>.txt``: names of ``ImageSets/Main/<split>.txt`` that have
  a ``.mat`` label (val: 5105, train: 4998 with the full release).

Our own code from reading MMSeg's tools/dataset_converters/pascal_context.py (the 59 source ids)
and CAT-Seg's datasets/prepare_pascal_context_459.py (the 16-bit layout).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
from PIL import Image

#: Pascal Context ids (``labels.txt``) of the 59 classes; sorted, with 0 (background) first, the
#: index in this tuple is the PC60 label (MMSeg's converter; ODISE / CAT-Seg use the same list).
PC59_SOURCE_IDS = tuple(sorted((
    0, 2, 259, 260, 415, 324, 9, 258, 144, 18, 19, 22, 23, 397, 25, 284, 158, 159, 416, 33, 162, 420, 454,
    295, 296, 427, 44, 45, 46, 308, 59, 440, 445, 31, 232, 65, 354, 424, 68, 326, 72, 458, 34, 207, 80, 355,
    85, 347, 220, 349, 360, 98, 187, 104, 105, 366, 189, 368, 113, 115)))
NUM_FULL = 459
IGNORE_16BIT = 65535
PC60_DIR = "SegmentationClassContext"
SPLIT_DIR = "ImageSets/SegmentationContext"


def pc60_lut() -> np.ndarray:
    """Lookup table Pascal Context id (0..459) -> PC60 label (0..59), shape ``(460,)`` uint8."""
    lut = np.zeros(NUM_FULL + 1, dtype=np.uint8)
    lut[list(PC59_SOURCE_IDS)] = np.arange(len(PC59_SOURCE_IDS), dtype=np.uint8)
    return lut


def _check_ids(label: np.ndarray, where: str) -> np.ndarray:
    label = np.asarray(label)
    if label.ndim != 2:
        raise ValueError(f"{where}: LabelMap has shape {label.shape}, expected (H, W)")
    if label.size and (label.min() < 0 or label.max() > NUM_FULL):
        raise ValueError(f"{where}: LabelMap values {label.min()}..{label.max()} outside 0..{NUM_FULL}: "
                         "is this Pascal Context's trainval/*.mat?")
    return label.astype(np.int64)


def to_pc60(label: np.ndarray, where: str = "label") -> np.ndarray:
    """Full Pascal Context ids ``(H, W)`` -> PC60 labels ``(H, W)`` uint8 (0 background, 1..59)."""
    return pc60_lut()[_check_ids(label, where)]


def to_pc459(label: np.ndarray, where: str = "label") -> np.ndarray:
    """Full Pascal Context ids ``(H, W)`` -> PC459 labels ``(H, W)`` uint16 (0..458, 65535 unlabeled)."""
    return (_check_ids(label, where) - 1).astype(np.uint16)  # 0 - 1 wraps to 65535 as CAT-Seg's does


def read_mat(path: Path) -> np.ndarray:
    """``LabelMap`` of one Pascal Context ``.mat`` file."""
    from scipy.io import loadmat

    try:
        return loadmat(str(path))["LabelMap"]
    except KeyError:
        raise ValueError(f"{path} has no 'LabelMap' (not a Pascal Context trainval/*.mat file)") from None


def write_tif16(label: np.ndarray, dst: Path) -> None:
    """Save a uint16 label map as a 16-bit TIFF (what CAT-Seg's loaders read)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(label.astype(np.uint16)).save(dst)


def find_mat_dir(context: Path) -> Path:
    """The folder with ``<name>.mat`` files: ``context/trainval`` or ``context`` itself."""
    for cand in (context / "trainval", context):
        if cand.is_dir() and any(cand.glob("*.mat")):
            return cand
    raise FileNotFoundError(f"no Pascal Context .mat files in {context} or {context / 'trainval'}: extract "
                            "trainval.tar.gz from https://cs.stanford.edu/~roozbeh/pascal-context/ there")


def convert(voc2010: Path, context: Path, splits: Sequence[str] = ("val",)) -> Dict[str, int]:
    """Write PC60 PNGs, PC459 TIFFs and split files; returns the number of images per split."""
    mat_dir = find_mat_dir(context)
    counts = {}
    for split in splits:
        main = voc2010 / "ImageSets" / "Main" / f"{split}.txt"
        if not main.is_file():
            raise FileNotFoundError(f"{main} not found: is {voc2010} the VOC2010 folder of VOCtrainval_03-May-2010.tar?")
        names = [n.split()[0] for n in main.read_text().splitlines() if n.strip()]
        kept: List[str] = []
        for name in names:
            mat = mat_dir / f"{name}.mat"
            if not mat.is_file():
                continue
            full = read_mat(mat)
            out60 = voc2010 / PC60_DIR / f"{name}.png"
            out60.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(to_pc60(full, str(mat))).save(out60)
            write_tif16(to_pc459(full, str(mat)), voc2010 / "annotations_detectron2" / f"pc459_{split}" / f"{name}.tif")
            kept.append(name)
        if not kept:
            raise FileNotFoundError(f"none of the {len(names)} images of {main} has a .mat label in {mat_dir}")
        split_file = voc2010 / SPLIT_DIR / f"{split}.txt"
        split_file.parent.mkdir(parents=True, exist_ok=True)
        split_file.write_text("\n".join(kept) + "\n")
        counts[split] = len(kept)
    return counts


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("voc2010", help="the VOC2010 folder (JPEGImages, ImageSets/Main)")
    p.add_argument("context", help="folder of Pascal Context's trainval/*.mat (trainval.tar.gz extracted)")
    p.add_argument("--split", nargs="+", default=["val"], choices=["train", "val"], help="default: val")
    args = p.parse_args(argv)
    try:
        counts = convert(Path(args.voc2010), Path(args.context), args.split)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for split, n in counts.items():
        print(f"{split}: {n} images -> {args.voc2010}/{PC60_DIR} (PC60/PC59), "
              f"{args.voc2010}/annotations_detectron2/pc459_{split} (PC459), {args.voc2010}/{SPLIT_DIR}/{split}.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
