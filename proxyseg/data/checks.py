"""Checks of a prepared benchmark folder: counts, image/label pairs, label values (tools/check_data.py).

Each benchmark is a :class:`DataSpec` in :data:`SPECS` (register another with :func:`register`, e.g. a
plain image 'folder' dataset); :func:`check` returns the problems found as one-line messages, each
ending with the command that fixes it. Pure Python + numpy + PIL (no mmseg import).
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Sequence, Union

import numpy as np

__all__ = ["DataSpec", "SPECS", "register", "check", "Report"]

PathLike = Union[str, Path]


@dataclass(frozen=True)
class DataSpec:
    """Where a benchmark's files are and what their labels may hold.

    ``num_classes`` label values ``0..num_classes-1`` are classes (``label_offset`` 1 for files where
    0 is a dropped 'other' and classes start at 1, e.g. ADE20K), ``ignore`` values are unlabeled.
    """

    name: str
    data_root: str                  # default, relative to the repository (configs' data_root)
    img_dir: str
    ann_dir: str
    img_suffix: str
    seg_suffix: str
    val_images: int                 # the official validation size
    num_classes: int
    ignore: FrozenSet[int] = frozenset({255})
    label_offset: int = 0
    split_file: Optional[str] = None  # names listed here are the split (else: every image)
    fix: str = "see data/README.md"   # the command that (re)creates the labels
    get: str = "see data/README.md"   # where the release comes from


SPECS: Dict[str, DataSpec] = {}


def register(spec: DataSpec) -> DataSpec:
    """Add (or replace) a benchmark; returns it."""
    SPECS[spec.name] = spec
    return spec


_VOC_GET = "download VOCtrainval_11-May-2012.tar and extract it into data/ (no conversion needed)"
_PC_FIX = "python tools/dataset_converters/pascal_context.py data/VOCdevkit/VOC2010 data/VOCdevkit/VOC2010"
for _spec in (
    DataSpec("coco_stuff164k", "data/coco_stuff164k", "images/val2017", "annotations/val2017", ".jpg",
             "_labelTrainIds.png", 5000, 171,
             fix="python tools/dataset_converters/coco_stuff164k.py data/coco_stuff164k --nproc 8"),
    DataSpec("coco_object", "data/coco_object", "images/val2017", "annotations/val2017", ".jpg",
             "_instanceTrainIds.png", 5000, 81,
             fix="python tools/dataset_converters/coco_object.py data/coco_stuff164k -o data/coco_object --split val2017"),
    DataSpec("voc21", "data/VOCdevkit/VOC2012", "JPEGImages", "SegmentationClass", ".jpg", ".png", 1449, 21,
             split_file="ImageSets/Segmentation/val.txt", fix=_VOC_GET),
    DataSpec("voc20", "data/VOCdevkit/VOC2012", "JPEGImages", "SegmentationClass", ".jpg", ".png", 1449, 21,
             split_file="ImageSets/Segmentation/val.txt", fix=_VOC_GET),
    DataSpec("context60", "data/VOCdevkit/VOC2010", "JPEGImages", "SegmentationClassContext", ".jpg", ".png",
             5105, 60, split_file="ImageSets/SegmentationContext/val.txt", fix=_PC_FIX),
    DataSpec("context59", "data/VOCdevkit/VOC2010", "JPEGImages", "SegmentationClassContext", ".jpg", ".png",
             5105, 60, split_file="ImageSets/SegmentationContext/val.txt", fix=_PC_FIX),
    DataSpec("context459", "data/VOCdevkit/VOC2010", "JPEGImages", "annotations_detectron2/pc459_val", ".jpg",
             ".tif", 5105, 459, ignore=frozenset({65535}), split_file="ImageSets/SegmentationContext/val.txt",
             fix=_PC_FIX),
    DataSpec("cityscapes", "data/cityscapes", "leftImg8bit/val", "gtFine/val", "_leftImg8bit.png",
             "_gtFine_labelTrainIds.png", 500, 19,
             fix="python tools/dataset_converters/cityscapes.py data/cityscapes --split val"),
    DataSpec("ade20k", "data/ade/ADEChallengeData2016", "images/validation", "annotations/validation", ".jpg",
             ".png", 2000, 150, ignore=frozenset({0}), label_offset=1,
             fix="extract ADEChallengeData2016.zip into data/ade (no conversion needed)"),
    DataSpec("ade847", "data/ADE20K_2021_17_01", "images_detectron2/validation", "annotations_detectron2/validation",
             ".jpg", ".tif", 2000, 847, ignore=frozenset({65535}),
             fix="python tools/dataset_converters/ade847.py data/ADE20K_2021_17_01"),
):
    register(_spec)


@dataclass
class Report:
    """What :func:`check` found: ``problems`` (each a line with its fix) and ``notes`` (facts)."""

    spec: DataSpec
    root: Path
    problems: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _stems(folder: Path, suffix: str) -> Dict[str, Path]:
    out = {}
    for dirpath, _, files in os.walk(folder, followlinks=True):
        for f in files:
            if f.endswith(suffix):
                p = Path(dirpath) / f
                out[p.relative_to(folder).as_posix()[: -len(suffix)]] = p
    return out


def _read_label(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.array(im)


def check(name: str, data_root: Optional[PathLike] = None, *, sample: int = 20, partial: bool = False,
          seed: int = 0) -> Report:
    """Check benchmark ``name`` under ``data_root`` (default: its configs' data_root).

    Args:
        sample: labels whose values are read (0 or less: all of them).
        partial: fewer images than the official split is a note, not a problem (synthetic twins, subsets).
    """
    if name not in SPECS:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(sorted(SPECS))}")
    spec = SPECS[name]
    root = Path(data_root if data_root is not None else spec.data_root)
    rep = Report(spec, root)
    fix = f"fix: {spec.fix}"
    if not root.is_dir():
        rep.problems.append(f"data root {root} not found: {spec.fix} (layout: data/README.md)")
        return rep
    img_dir, ann_dir = root / spec.img_dir, root / spec.ann_dir
    for d, what in ((img_dir, "image"), (ann_dir, "label")):
        if not d.is_dir():
            rep.problems.append(f"{what} folder {d} not found; {fix}")
    if rep.problems:
        return rep
    images, labels = _stems(img_dir, spec.img_suffix), _stems(ann_dir, spec.seg_suffix)
    names = sorted(images)
    if spec.split_file:
        split = root / spec.split_file
        if not split.is_file():
            rep.problems.append(f"split file {split} not found; {fix}")
            return rep
        names = [n.strip() for n in split.read_text().splitlines() if n.strip()]
        missing = [n for n in names if n not in images]
        if missing:
            rep.problems.append(f"{len(missing)} of {len(names)} images listed in {split} are missing from {img_dir} "
                                f"(e.g. {missing[0]}{spec.img_suffix}); {spec.get}")
    else:
        orphans = sorted(set(labels) - set(images))
        if orphans:
            rep.problems.append(f"{len(orphans)} labels in {ann_dir} have no image (e.g. {orphans[0]}{spec.seg_suffix}); "
                                f"copy the images ({spec.get})")
    unlabeled = [n for n in names if n not in labels]
    if unlabeled:
        rep.problems.append(f"{len(unlabeled)} of {len(names)} images have no *{spec.seg_suffix} label in {ann_dir} "
                            f"(e.g. {unlabeled[0]}); {fix}")
    count = len(names)
    msg = f"{count} val images, official {spec.val_images}"
    if count != spec.val_images:
        (rep.notes if partial else rep.problems).append(
            msg + ("" if partial else f": incomplete or wrong split; {spec.fix} (or pass --partial for a subset)"))
    else:
        rep.notes.append(msg)
    paired = [n for n in names if n in labels]
    if sample > 0 and len(paired) > sample:
        paired = sorted(random.Random(seed).sample(paired, sample))
    allowed_hi = spec.num_classes - 1 + spec.label_offset
    bad = []
    for n in paired:
        lab = _read_label(labels[n])
        if lab.ndim != 2:
            bad.append(f"{labels[n].name} has shape {lab.shape} (expected one channel)")
            continue
        vals = np.unique(lab)
        wrong = [int(v) for v in vals if not (spec.label_offset <= v <= allowed_hi) and int(v) not in spec.ignore]
        if wrong:
            bad.append(f"{labels[n].name} holds {wrong[:5]}")
    if bad:
        rep.problems.append(f"{len(bad)} of {len(paired)} labels read hold values outside {spec.label_offset}.."
                            f"{allowed_hi} and ignore {sorted(spec.ignore)} (e.g. {bad[0]}): raw, unconverted "
                            f"labels?; {fix}")
    else:
        rep.notes.append(f"label values of {len(paired)} labels within {spec.label_offset}..{allowed_hi} "
                         f"(+ ignore {sorted(spec.ignore)})")
    return rep
