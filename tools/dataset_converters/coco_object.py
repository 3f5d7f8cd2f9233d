#!/usr/bin/env python
"""Make COCO-Object labels (``<name>_instanceTrainIds.png``, 81 classes) from raw COCO-Stuff-164k maps.

    python tools/dataset_converters/coco_object.py data/coco_stuff164k -o data/coco_object
    python tools/dataset_converters/coco_object.py data/coco_stuff164k --split val2017 --nproc 16

COCO-Object (GroupViT / TCL / ProxyCLIP) is COCO-Stuff-164k with every stuff class merged into
one background class. Input: ``ROOT/annotations/<split>/<name>.png`` (raw ids: things 0..90 of
which 80 are used, stuff 91..181, 255 unlabeled). Output ``OUT/annotations/<split>/
<name>_instanceTrainIds.png``: the 80 thing ids -> 1..80 in order, stuff -> 0 (background),
255 -> 255 (ignore; ``--unlabeled background`` maps it to 0 instead, as GroupViT's converter
does). With ``-o OUT`` different from ``ROOT``, ``OUT/images/<split>`` is linked to
``ROOT/images/<split>``. Up-to-date outputs are skipped unless ``--force``; output counts are
checked against the inputs.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import coco_stuff164k as _coco  # noqa: E402  (sibling module: shared ids, loop and CLI)

IGNORE = _coco.IGNORE
BACKGROUND = 0
THING_IDS = _coco.THING_IDS
STUFF_IDS = _coco.STUFF_IDS
UNUSED_THING_IDS = _coco.UNUSED_THING_IDS
OBJECT_SUFFIX = "_instanceTrainIds.png"
UNLABELED_MODES = ("ignore", "background")


def coco_object_lut(unlabeled: str = "ignore") -> np.ndarray:
    """Lookup table raw COCO-Stuff id -> COCO-Object id, shape ``(256,)`` uint8.

    Things -> 1..80 (COCO category order), stuff -> 0, unused ids -> 255, and 255 (unlabeled)
    -> 255 with ``unlabeled='ignore'`` or -> 0 with ``unlabeled='background'``.
    """
    if unlabeled not in UNLABELED_MODES:
        raise ValueError(f"unlabeled must be one of {UNLABELED_MODES}, got {unlabeled!r}")
    lut = np.full(256, IGNORE, dtype=np.uint8)
    lut[list(THING_IDS)] = np.arange(1, 81, dtype=np.uint8)
    lut[list(STUFF_IDS)] = BACKGROUND
    if unlabeled == "background":
        lut[IGNORE] = BACKGROUND
    return lut


def convert_coco_object(raw: np.ndarray, unlabeled: str = "ignore") -> np.ndarray:
    """Raw COCO-Stuff label map ``(H, W)`` uint8 -> COCO-Object ids 0..80 / 255, same shape."""
    return _coco.apply_lut(raw, coco_object_lut(unlabeled))


def _add_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--unlabeled", choices=UNLABELED_MODES, default="ignore",
                        help="raw 255 (unlabeled) pixels: 'ignore' keeps 255 (default), 'background' maps them "
                             "to 0 like GroupViT's convert_coco_object.py")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """COCO-Object: raw COCO-Stuff -> ``_instanceTrainIds.png``."""
    return _coco.run(argv, description=__doc__, lut=coco_object_lut(), suffix=OBJECT_SUFFIX,
                     extra_args=_add_args, make_lut=lambda args: coco_object_lut(args.unlabeled))


if __name__ == "__main__":
    from proxyseg.cli import run_main

    sys.exit(run_main(main))
