"""Your own labelled data as a folder: layout, id map, and the checks run before any model is built.

Layout (``data_root``)::

    images/<stem>.jpg|.jpeg|.png|.tif|.tiff|.bmp     (sub-folders allowed; matched by relative stem)
    labels/<stem>.png|.tif|.tiff                      one channel, 8 or 16 bit, class indices
    classes.txt                                       one class per line, synonyms separated by '; '
    id_map.json                                       optional: {"raw value": class index or "ignore"}

Label values are class indices ``0..N-1`` (line ``i`` of the class file is class ``i``); the
``ignore_index`` value (default 255) is unlabeled. ``reduce_zero_label`` makes 0 unlabeled and
``v`` class ``v-1``. An id map instead maps every raw value to a class index or ``"ignore"``
(non-contiguous ids, e.g. ``{"0": 0, "7": 1, "26": 2, "255": "ignore"}``); a raw value it does not
list is a problem. Pure Python + numpy + PIL (no mmseg import).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ..errors import DatasetError

__all__ = ["IMG_SUFFIXES", "SEG_SUFFIXES", "FolderLayout", "load_id_map", "class_file_for", "match_pairs",
           "map_labels", "scan_folder", "FolderReport", "check_folder"]

PathLike = Union[str, Path]
IMG_SUFFIXES: Tuple[str, ...] = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp")
SEG_SUFFIXES: Tuple[str, ...] = (".png", ".tif", ".tiff")
IGNORE = "ignore"
Bad = Tuple[str, str]


def _suffixes(s: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    return (s,) if isinstance(s, str) else tuple(s)


def class_file_for(data_root: PathLike, class_file: Optional[PathLike] = None) -> Path:
    """The class file: ``class_file`` if given, else ``<data_root>/classes.txt``."""
    if class_file:
        return Path(class_file)
    return Path(data_root) / "classes.txt"


def load_id_map(id_map: Union[None, str, Path, Mapping], num_classes: int, ignore_index: int = 255,
                data_root: Optional[PathLike] = None) -> Optional[Dict[int, int]]:
    """``{raw: class index or ignore_index}`` from a dict or a JSON file (``None``: no map; with
    ``data_root``, ``<data_root>/id_map.json`` is used when it exists). Bad entries raise DatasetError."""
    source = "id map"
    if id_map is None and data_root is not None and (Path(data_root) / "id_map.json").is_file():
        id_map = Path(data_root) / "id_map.json"
    if id_map is None:
        return None
    if isinstance(id_map, (str, Path)):
        p = Path(id_map)
        source = f"id map {p}"
        if not p.is_file():
            raise DatasetError(f"{source} not found: give a JSON file {{\"raw value\": class index or \"ignore\"}}")
        try:
            id_map = json.loads(p.read_text(encoding="utf-8"))
        except (ValueError, OSError) as e:
            raise DatasetError(f"{source} is not valid JSON ({e}): write {{\"7\": 0, \"255\": \"ignore\"}}") from None
    if not isinstance(id_map, Mapping) or not id_map:
        raise DatasetError(f"{source} must be a non-empty mapping {{raw value: class index or \"ignore\"}}")
    out: Dict[int, int] = {}
    for raw, cls in id_map.items():
        try:
            r = int(raw)
        except (TypeError, ValueError):
            raise DatasetError(f"{source}: key {raw!r} is not an integer label value") from None
        if r < 0 or r > 65535:
            raise DatasetError(f"{source}: raw value {r} is outside 0..65535 (8- or 16-bit labels)")
        if isinstance(cls, str) and cls.strip().lower() == IGNORE:
            out[r] = ignore_index
            continue
        if isinstance(cls, bool) or not isinstance(cls, int) or not 0 <= cls < num_classes:
            raise DatasetError(f"{source}: {raw} -> {cls!r} is not a class index 0..{num_classes - 1} or "
                               f"\"ignore\" (the class file has {num_classes} classes)")
        out[r] = cls
    return out


def map_labels(raw: np.ndarray, *, ignore_index: int = 255, reduce_zero_label: bool = False,
               id_map: Optional[Mapping[int, int]] = None, unmapped: int = -1) -> np.ndarray:
    """Raw label values -> class indices (int64). With ``id_map`` a value it does not list (other than
    ``ignore_index``) becomes ``unmapped`` (-1: the metric names it; --ignore-bad-labels ignores it)."""
    raw = np.asarray(raw).astype(np.int64)
    if id_map is not None:
        lut = np.full(max(65536, int(raw.max(initial=0)) + 1), unmapped, dtype=np.int64)
        if 0 <= ignore_index < len(lut):
            lut[ignore_index] = ignore_index
        for r, c in id_map.items():
            lut[r] = c
        return lut[raw]
    if reduce_zero_label:
        return np.where(raw == 0, ignore_index, np.where(raw == ignore_index, ignore_index, raw - 1))
    return raw


def _walk(folder: Path, suffixes: Tuple[str, ...]) -> Tuple[Dict[str, Path], List[str]]:
    """``{relative stem: path}`` of files ending in one of ``suffixes`` and the stems found twice."""
    out: Dict[str, Path] = {}
    dups: List[str] = []
    low = tuple(s.lower() for s in suffixes)
    for dirpath, _, files in os.walk(folder, followlinks=True):
        for f in sorted(files):
            fl = f.lower()
            suf = next((s for s in low if fl.endswith(s)), None)
            if suf is None:
                continue
            p = Path(dirpath) / f
            stem = p.relative_to(folder).as_posix()[: -len(suf)]
            if stem in out:
                dups.append(stem)
            else:
                out[stem] = p
    return out, dups


@dataclass
class FolderLayout:
    """Where the files are (``images``/``labels`` relative to ``data_root``) and which suffixes count."""

    data_root: Path
    img_dir: str = "images"
    ann_dir: str = "labels"
    img_suffix: Tuple[str, ...] = IMG_SUFFIXES
    seg_suffix: Tuple[str, ...] = SEG_SUFFIXES

    def __post_init__(self):
        self.data_root = Path(self.data_root)
        self.img_suffix, self.seg_suffix = _suffixes(self.img_suffix), _suffixes(self.seg_suffix)

    @property
    def images(self) -> Path:
        return self.data_root / self.img_dir

    @property
    def labels(self) -> Path:
        return self.data_root / self.ann_dir


def match_pairs(layout: FolderLayout) -> Tuple[Dict[str, Tuple[Path, Optional[Path]]], List[Path], List[str]]:
    """``({stem: (image, label or None)}, [labels without image], [stems with two images or labels])``."""
    images, dup_i = _walk(layout.images, layout.img_suffix)
    labels, dup_l = _walk(layout.labels, layout.seg_suffix) if layout.labels.is_dir() else ({}, [])
    pairs = {s: (p, labels.get(s)) for s, p in sorted(images.items())}
    orphans = [labels[s] for s in sorted(set(labels) - set(images))]
    return pairs, orphans, sorted(set(dup_i + dup_l))


def layout_problems(layout: FolderLayout) -> List[str]:
    """Problems that stop everything: data root / folders missing or empty."""
    root = layout.data_root
    if not root.is_dir():
        return [f"data root {root} not found: pass --data-root DIR (DIR holds {layout.img_dir}/, {layout.ann_dir}/ "
                f"and classes.txt; README 'Evaluate on your own data')"]
    out = []
    for d, what, sufs in ((layout.images, "image", layout.img_suffix), (layout.labels, "label", layout.seg_suffix)):
        if not d.is_dir():
            out.append(f"{what} folder {d} not found: put the {what}s in {root}/{d.name}/ (or set "
                       f"data_prefix.{'img_path' if what == 'image' else 'seg_map_path'})")
        elif not _walk(d, sufs)[0]:
            out.append(f"{what} folder {d} is empty: no file ending in {', '.join(sufs)}")
    return out


def _label_problem(seg: Path, size, num_classes: int, ignore_index: int, id_map, reduce_zero_label: bool,
                   check_values: bool) -> Optional[str]:
    from PIL import Image

    try:
        if seg.stat().st_size == 0:
            return "empty label file (0 bytes)"
        with Image.open(seg) as lab:
            if lab.size != size:
                return f"label size {lab.size[0]}x{lab.size[1]} differs from the image's {size[0]}x{size[1]}"
            if not check_values:
                return None
            arr = np.asarray(lab)
    except Exception as e:
        return f"label cannot be decoded ({type(e).__name__})"
    if arr.ndim != 2:
        return (f"label has shape {arr.shape}: expected one channel of class indices (8- or 16-bit grey, "
                f"not a colour mask)")
    values = np.unique(arr).astype(np.int64)
    if id_map is not None:
        out = [int(v) for v in values if int(v) not in id_map and v != ignore_index]
        if out:
            return f"label values {out[:10]} are not in the id map (add them, e.g. \"{out[0]}\": \"ignore\")"
        return None
    mapped = map_labels(values, ignore_index=ignore_index, reduce_zero_label=reduce_zero_label)
    out = [int(r) for r, v in zip(values, mapped) if v != ignore_index and not 0 <= v < num_classes]
    if out:
        return (f"label values {out[:10]} outside the {num_classes} classes (0..{num_classes - 1}, ignore "
                f"{ignore_index}{', reduce_zero_label' if reduce_zero_label else ''}): give an id map "
                f"(id_map.json) or fix the class file")
    return None


def scan_folder(layout: FolderLayout, num_classes: int, *, ignore_index: int = 255,
                id_map: Optional[Mapping[int, int]] = None, reduce_zero_label: bool = False,
                names: Optional[Sequence[str]] = None, check_values: bool = True
                ) -> Tuple[List[str], List[Bad], List[Path], List[str]]:
    """``(good stems, [(file, reason)], labels without image, duplicate stems)`` of a folder dataset.
    ``names``: the stems to check (default: every image)."""
    from PIL import Image

    pairs, orphans, dups = match_pairs(layout)
    good: List[str] = []
    bad: List[Bad] = []
    for stem in (names if names is not None else list(pairs)):
        if stem not in pairs:
            bad.append((str(layout.images / stem), "image missing"))
            continue
        img, seg = pairs[stem]
        reason, culprit = None, img
        try:
            if img.stat().st_size == 0:
                reason = "empty image file (0 bytes)"
            else:
                with Image.open(img) as im:
                    size = im.size
        except Exception as e:
            reason = f"image cannot be decoded ({type(e).__name__})"
        if reason is None:
            culprit = seg if seg is not None else img
            reason = ("no label: expected " + ", ".join(f"{layout.labels / stem}{s}" for s in layout.seg_suffix[:2])
                      if seg is None else
                      _label_problem(seg, size, num_classes, ignore_index, id_map, reduce_zero_label, check_values))
        if reason is None:
            good.append(stem)
        else:
            bad.append((str(culprit), reason))
    return good, bad, orphans, dups


@dataclass
class FolderReport:
    """What :func:`check_folder` found: ``problems`` (one line each) and ``notes``."""

    root: Path
    problems: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_folder(data_root: PathLike, *, class_file: Optional[PathLike] = None, id_map=None,
                 ignore_index: int = 255, reduce_zero_label: bool = False, img_dir: str = "images",
                 ann_dir: str = "labels", img_suffix=IMG_SUFFIXES, seg_suffix=SEG_SUFFIXES) -> FolderReport:
    """Every check of a folder dataset; one problem line per file (tools/check_data.py folder)."""
    from ..errors import ProxySegError
    from ..text import load_class_names

    layout = FolderLayout(Path(data_root), img_dir, ann_dir, img_suffix, seg_suffix)
    rep = FolderReport(layout.data_root)
    rep.problems += layout_problems(layout)
    if not layout.data_root.is_dir():
        return rep
    cf = class_file_for(data_root, class_file)
    num_classes = 0
    try:
        classes = load_class_names(cf)
        num_classes = len(classes)
        rep.notes.append(f"{num_classes} classes from {cf}: {', '.join(classes.names[:8])}"
                         f"{', ...' if num_classes > 8 else ''}")
    except ProxySegError as e:
        rep.problems.append(f"{e} (pass --classes FILE, or put classes.txt in the data root)")
    mapping = None
    if num_classes:
        try:
            mapping = load_id_map(id_map, num_classes, ignore_index, data_root=layout.data_root)
            if mapping is not None:
                rep.notes.append(f"id map: {len(mapping)} raw values -> classes/ignore")
        except DatasetError as e:
            rep.problems.append(str(e))
            num_classes = 0
    if reduce_zero_label and mapping is not None:
        rep.problems.append("reduce_zero_label and an id map both given: map 0 to \"ignore\" in the id map instead")
    if rep.problems and (not layout.images.is_dir() or not layout.labels.is_dir()):
        return rep
    good, bad, orphans, dups = scan_folder(layout, num_classes, ignore_index=ignore_index, id_map=mapping,
                                           reduce_zero_label=reduce_zero_label, check_values=num_classes > 0)
    for f, r in bad:
        rep.problems.append(f"{f}: {r}")
    for o in orphans:
        rep.problems.append(f"{o}: label without an image (no {layout.images}/{o.stem}.* file)")
    for d in dups:
        rep.problems.append(f"{d}: two images or two labels with this name (different suffixes): keep one")
    rep.notes.append(f"{len(good)} of {len(good) + len(bad)} image/label pairs ok")
    return rep


def main_report(args) -> int:
    """``tools/check_data.py folder``: one line per problem, a summary, exit 1 on problems."""
    import sys

    if not args.data_root:
        print("error: give the folder: tools/check_data.py folder --data-root DIR", file=sys.stderr)
        return 2
    rep = check_folder(args.data_root, class_file=args.classes, id_map=args.id_map,
                       ignore_index=args.ignore_index, reduce_zero_label=args.reduce_zero_label,
                       img_dir=getattr(args, "img_dir", "images"), ann_dir=getattr(args, "label_dir", "labels"),
                       seg_suffix=tuple(getattr(args, "seg_suffix", None) or SEG_SUFFIXES))
    for n in rep.notes:
        print(f"ok: {n}")
    for pr in rep.problems:
        print(f"problem: {pr}", file=sys.stderr)
    print(f"folder at {rep.root}: " + ("OK" if rep.ok else f"{len(rep.problems)} problem(s); fix them, or "
                                        f"evaluate the good pairs with tools/test.py ... --skip-bad"))
    return 0 if rep.ok else 1
