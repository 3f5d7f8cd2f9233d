#!/usr/bin/env python
"""ADE20K-Full (847 classes) in CAT-Seg's layout from the ADE20K 2021 release.

    python tools/dataset_converters/ade847.py data/ADE20K_2021_17_01

Input: the extracted ``ADE20K_2021_17_01.zip`` (``index_ade20k.pkl`` with ``folder``, ``filename``
and ``objectnames``; ``images/ADE/validation/<scene>/<name>.jpg`` with ``<name>_seg.png``, whose
object class per pixel is ``R // 10 * 256 + G``, 0 unlabeled, ``k`` = ``objectnames[k - 1]``).
Writes (as Mask2Former's / CAT-Seg's ``prepare_ade20k_full_sem_seg.py``):

- ``images_detectron2/validation/<name>.jpg`` (copied)
- ``annotations_detectron2/validation/<name>.tif``: uint16, the 847 classes of
  ``configs/_base_/class_names/ade847.txt`` as 0..846 in that order, everything else 65535.

Classes are matched to ``objectnames`` by their full name (``"building, edifice"``); names of the
class file that the index does not hold are reported. Our own code, from reading those scripts.
"""
from __future__ import annotations

import argparse
import pickle
import shutil
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
CLASS_FILE = REPO / "configs" / "_base_" / "class_names" / "ade847.txt"
IGNORE_16BIT = 65535


def class_names(path: Path = CLASS_FILE) -> List[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def decode_seg(seg_rgb: np.ndarray) -> np.ndarray:
    """ADE ``_seg.png`` ``(H, W, 3)`` -> object class ids ``(H, W)`` int64 (``R // 10 * 256 + G``)."""
    seg_rgb = np.asarray(seg_rgb)
    if seg_rgb.ndim != 3 or seg_rgb.shape[2] < 3:
        raise ValueError(f"_seg.png has shape {seg_rgb.shape}, expected (H, W, 3)")
    r, g = seg_rgb[..., 0].astype(np.int64), seg_rgb[..., 1].astype(np.int64)
    return r // 10 * 256 + g


def id_lut(objectnames: Sequence[str], names: Sequence[str]) -> Tuple[np.ndarray, List[str]]:
    """Lookup table object class id -> 0..846 / 65535, and the class names not found in ``objectnames``."""
    lut = np.full(len(objectnames) + 1, IGNORE_16BIT, dtype=np.uint16)
    where = {n: i + 1 for i, n in reversed(list(enumerate(objectnames)))}  # first occurrence wins
    missing = []
    for label, name in enumerate(names):
        if name in where:
            lut[where[name]] = label
        else:
            missing.append(name)
    return lut, missing


def convert(root: Path, split: str = "validation") -> Dict[str, int]:
    index_file = root / "index_ade20k.pkl"
    if not index_file.is_file():
        raise FileNotFoundError(f"{index_file} not found: extract ADE20K_2021_17_01.zip (ADE20K full release) to {root}")
    with open(index_file, "rb") as f:
        index = pickle.load(f)
    lut, missing = id_lut(list(index["objectnames"]), class_names())
    img_out = root / "images_detectron2" / split
    ann_out = root / "annotations_detectron2" / split
    img_out.mkdir(parents=True, exist_ok=True)
    ann_out.mkdir(parents=True, exist_ok=True)
    n = 0
    for folder, filename in zip(index["folder"], index["filename"]):
        if f"/{split}" not in "/" + str(folder).replace("\\", "/"):
            continue
        rel = str(folder).split("ADE20K_2021_17_01/")[-1]  # the index stores paths starting with the release name
        img = root / rel / filename
        seg = img.with_name(img.stem + "_seg.png")
        if not seg.is_file():
            raise FileNotFoundError(f"{seg} not found (listed in {index_file})")
        ids = decode_seg(np.array(Image.open(seg).convert("RGB")))
        label = lut[np.clip(ids, 0, len(lut) - 1)]
        label[ids >= len(lut)] = IGNORE_16BIT
        label[ids == 0] = IGNORE_16BIT
        Image.fromarray(label).save(ann_out / f"{img.stem}.tif")
        shutil.copyfile(img, img_out / f"{img.stem}.jpg")
        n += 1
    if n == 0:
        raise FileNotFoundError(f"{index_file} lists no {split} images")
    return dict(images=n, missing_classes=len(missing))


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("root", help="the ADE20K_2021_17_01 folder")
    args = p.parse_args(argv)
    try:
        res = convert(Path(args.root))
    except (FileNotFoundError, ValueError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"validation: {res['images']} images -> {args.root}/images_detectron2/validation, "
          f"{args.root}/annotations_detectron2/validation (*.tif)")
    if res["missing_classes"]:
        print(f"warning: {res['missing_classes']} of 847 class names not in index_ade20k.pkl's objectnames "
              "(their pixels are 65535)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
