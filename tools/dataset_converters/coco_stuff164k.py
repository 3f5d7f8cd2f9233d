#!/usr/bin/env python
"""Convert raw COCO-Stuff-164k label maps to MMSeg's ``<name>_labelTrainIds.png`` (171 classes).

    python tools/dataset_converters/coco_stuff164k.py data/coco_stuff164k
    python tools/dataset_converters/coco_stuff164k.py RAW_ROOT -o data/coco_stuff164k --split val2017

Input: ``ROOT/annotations/{train2017,val2017}/<name>.png`` from ``stuffthingmaps_trainval2017.zip``
(raw ids: things 0..90 of which 80 are used, stuff 91..181, 255 unlabeled). Output:
``OUT/annotations/<split>/<name>_labelTrainIds.png`` with the 80 thing ids -> 0..79 and the 91
stuff ids -> 80..170 in order (MMSeg's ``clsID_to_trID``), everything else -> 255 (ignore).
With ``-o OUT`` different from ``ROOT``, ``OUT/images/<split>`` is linked to ``ROOT/images/<split>``.

Outputs that are newer than their input are skipped (``--force`` rewrites them); the number of
outputs is checked against the number of inputs at the end. This module also holds the machinery
shared with ``coco_object.py`` (finding inputs, the parallel loop, the summary).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import dataclass
from functools import partial
from multiprocessing import Pool
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from proxyseg.errors import DatasetError  # noqa: E402

IGNORE = 255
#: Raw COCO-Stuff ids are COCO category ids minus 1. These 11 thing ids (COCO ids 12, 26, 29,
#: 30, 45, 66, 68, 69, 71, 83, 91) have no category in COCO 2017 and never occur in the maps.
UNUSED_THING_IDS: Tuple[int, ...] = (11, 25, 28, 29, 44, 65, 67, 68, 70, 82, 90)
#: The 80 raw thing ids, in COCO category order (train id = position).
THING_IDS: Tuple[int, ...] = tuple(i for i in range(91) if i not in UNUSED_THING_IDS)
#: The 91 raw stuff ids (COCO-Stuff categories 92..182).
STUFF_IDS: Tuple[int, ...] = tuple(range(91, 182))
SPLITS: Tuple[str, ...] = ("train2017", "val2017")
#: Label counts of the full dataset, used for a note (not an error) when a split differs.
FULL_COUNTS = {"train2017": 118287, "val2017": 5000}
LABEL_SUFFIX = "_labelTrainIds.png"
#: Converted files (ours or other converters') that must never be read as raw inputs.
CONVERTED_MARK = "TrainIds"

assert len(THING_IDS) == 80 and len(STUFF_IDS) == 91


def coco_stuff_lut() -> np.ndarray:
    """Lookup table raw id -> COCO-Stuff-164k train id, shape ``(256,)`` uint8.

    Things -> 0..79, stuff -> 80..170 (MMSeg's mapping), everything else (255 and the unused
    ids) -> 255.
    """
    lut = np.full(256, IGNORE, dtype=np.uint8)
    lut[list(THING_IDS + STUFF_IDS)] = np.arange(171, dtype=np.uint8)
    return lut


def convert_coco_stuff(raw: np.ndarray) -> np.ndarray:
    """Raw COCO-Stuff label map ``(H, W)`` uint8 -> train ids 0..170 / 255, same shape."""
    return apply_lut(raw, coco_stuff_lut())


def apply_lut(raw: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """``lut[raw]`` for a 2-D uint8 label map; anything else raises :class:`DatasetError`."""
    if raw.ndim != 2 or raw.dtype != np.uint8:
        raise DatasetError(f"expected a single-channel uint8 label map, got shape {raw.shape} {raw.dtype}")
    return lut[raw]


# ----------------------------------------------------------------------------- files


def find_raw_labels(ann_dir: Path) -> List[Path]:
    """Raw label PNGs directly in ``ann_dir`` (converted ``*TrainIds.png`` files excluded), sorted."""
    return sorted(p for p in ann_dir.glob("*.png") if CONVERTED_MARK not in p.name)


def output_path(src: Path, out_dir: Path, suffix: str) -> Path:
    """``out_dir / <stem><suffix>`` for a raw label ``<stem>.png``."""
    return out_dir / (src.stem + suffix)


def is_up_to_date(src: Path, dst: Path) -> bool:
    """True when ``dst`` exists and is not older than ``src``."""
    return dst.is_file() and dst.stat().st_mtime >= src.stat().st_mtime


def read_label(path: Path) -> np.ndarray:
    """Read a single-channel label PNG as ``(H, W)`` uint8 (palette indices for mode ``P``)."""
    try:
        with Image.open(path) as im:
            if im.mode not in ("L", "P"):
                raise DatasetError(f"{path} is a {im.mode} image, not a single-channel label map "
                                   "(expected the raw PNGs of stuffthingmaps_trainval2017.zip)")
            return np.array(im, dtype=np.uint8)
    except (OSError, SyntaxError) as e:
        raise DatasetError(f"{path} cannot be read as a PNG label map: {e}") from None


def write_label(label: np.ndarray, dst: Path) -> None:
    """Write ``label`` as a mode ``L`` PNG atomically (a crash never leaves a truncated file)."""
    tmp = dst.with_name(dst.name + ".tmp")
    Image.fromarray(label, mode="L").save(tmp, format="PNG")
    os.replace(tmp, dst)


def convert_file(src: Path, dst: Path, lut: np.ndarray) -> None:
    """Read raw ``src``, map it through ``lut``, write ``dst``."""
    write_label(apply_lut(read_label(src), lut), dst)


def _convert_pair(pair: Tuple[Path, Path], lut: np.ndarray) -> None:
    convert_file(pair[0], pair[1], lut)


# ----------------------------------------------------------------------------- one split


@dataclass
class SplitSummary:
    """What :func:`convert_split` did for one split."""

    split: str
    inputs: int
    converted: int
    skipped: int
    out_dir: Path

    def line(self, suffix: str) -> str:
        note = ""
        full = FULL_COUNTS.get(self.split)
        if full is not None and self.inputs != full:
            note = f" (note: the full dataset has {full})"
        return (f"{self.split}: {self.inputs} raw labels{note} -> {self.inputs} *{suffix} in {self.out_dir} "
                f"({self.converted} converted, {self.skipped} up to date)")


def _progress(total: int, desc: str):
    """A tqdm progress bar (hidden when there is nothing to do)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="img", dynamic_ncols=True, disable=total == 0)


def convert_split(root: Path, out: Path, split: str, lut: np.ndarray, suffix: str, *,
                  nproc: int = 1, force: bool = False) -> SplitSummary:
    """Convert ``root/annotations/<split>/*.png`` into ``out/annotations/<split>/*<suffix>``.

    Skips outputs that are up to date unless ``force``; runs ``nproc`` worker processes; checks
    at the end that every input has its output (:class:`DatasetError` otherwise).
    """
    ann_dir = root / "annotations" / split
    if not ann_dir.is_dir():
        raise DatasetError(f"annotation folder {ann_dir} not found: unzip stuffthingmaps_trainval2017.zip into "
                           f"{root / 'annotations'} (see data/README.md)")
    sources = find_raw_labels(ann_dir)
    if not sources:
        raise DatasetError(f"no raw label PNGs (like 000000000139.png) in {ann_dir}: unzip "
                           "stuffthingmaps_trainval2017.zip there (see data/README.md)")
    out_dir = out / "annotations" / split
    out_dir.mkdir(parents=True, exist_ok=True)
    pairs = [(s, output_path(s, out_dir, suffix)) for s in sources]
    todo = [p for p in pairs if force or not is_up_to_date(*p)]
    work = partial(_convert_pair, lut=lut)
    with _progress(len(todo), split) as bar:
        if nproc > 1 and len(todo) > 1:
            with Pool(min(nproc, len(todo))) as pool:
                for _ in pool.imap_unordered(work, todo, chunksize=16):
                    bar.update(1)
        else:
            for pair in todo:
                work(pair)
                bar.update(1)
    missing = [d.name for _, d in pairs if not d.is_file()]
    if missing:
        raise DatasetError(f"{split}: {len(missing)} of {len(pairs)} outputs are missing after conversion "
                           f"(e.g. {', '.join(missing[:3])})")
    return SplitSummary(split, len(pairs), len(todo), len(pairs) - len(todo), out_dir)


def link_images(root: Path, out: Path, split: str, copy: bool = False) -> Optional[str]:
    """Make ``out/images/<split>`` point at ``root/images/<split>`` (symlink, or a copy).

    Returns a line for the summary, or None when there is nothing to do.
    """
    src, dst = root / "images" / split, out / "images" / split
    if dst.exists() or dst.is_symlink():
        return None
    if not src.is_dir():
        return (f"note: {src} not found; put the COCO {split} images in {dst} "
                f"(from http://images.cocodataset.org/zips/{split}.zip)")
    dst.parent.mkdir(parents=True, exist_ok=True)
    if copy:
        shutil.copytree(src, dst)
        return f"{split}: copied images {src} -> {dst}"
    dst.symlink_to(src.resolve(), target_is_directory=True)
    return f"{split}: linked images {dst} -> {src.resolve()}"


# ----------------------------------------------------------------------------- CLI


def build_parser(description: str, default_suffix: str) -> argparse.ArgumentParser:
    """The CLI shared by the COCO converters."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("root", metavar="COCO_STUFF_ROOT",
                   help="folder holding annotations/{train2017,val2017}/*.png (raw COCO-Stuff-164k labels)")
    p.add_argument("-o", "--out", "--out-dir", dest="out",
                   help="output dataset root (default: COCO_STUFF_ROOT, i.e. labels written next to the raw ones)")
    p.add_argument("--split", nargs="+", choices=SPLITS,
                   help="splits to convert (default: those present under COCO_STUFF_ROOT/annotations)")
    p.add_argument("--nproc", type=int, default=min(8, os.cpu_count() or 1),
                   help="worker processes (default: %(default)s)")
    p.add_argument("--force", action="store_true", help=f"rewrite *{default_suffix} files that are up to date")
    p.add_argument("--copy-images", action="store_true",
                   help="with -o: copy ROOT/images/<split> into OUT instead of symlinking it")
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    return p


def resolve_splits(root: Path, splits: Optional[Sequence[str]]) -> List[str]:
    """Check ``root`` and pick the splits to convert (all present ones by default)."""
    if not root.is_dir():
        raise DatasetError(f"COCO-Stuff root {root} not found: download stuffthingmaps_trainval2017.zip and the "
                           "COCO 2017 images there (see data/README.md)")
    ann = root / "annotations"
    if not ann.is_dir():
        raise DatasetError(f"no annotations folder in {root}: unzip stuffthingmaps_trainval2017.zip into {ann} "
                           "(see data/README.md)")
    if splits:
        return list(splits)
    present = [s for s in SPLITS if (ann / s).is_dir()]
    if not present:
        raise DatasetError(f"neither {ann / 'train2017'} nor {ann / 'val2017'} exists: unzip "
                           "stuffthingmaps_trainval2017.zip into that folder (see data/README.md)")
    return present


def run(argv: Optional[Sequence[str]], *, description: str, lut: np.ndarray, suffix: str,
        extra_args: Optional[Callable[[argparse.ArgumentParser], None]] = None,
        make_lut: Optional[Callable[[argparse.Namespace], np.ndarray]] = None) -> int:
    """Parse ``argv`` and convert every requested split; prints one summary line per split."""
    parser = build_parser(description, suffix)
    if extra_args is not None:
        extra_args(parser)
    args = parser.parse_args(argv)
    if args.nproc < 1:
        parser.error("--nproc must be >= 1")
    if make_lut is not None:
        lut = make_lut(args)
    root = Path(args.root).expanduser()
    out = Path(args.out).expanduser() if args.out else root
    splits = resolve_splits(root, args.split)
    lines = []
    for split in splits:
        summary = convert_split(root, out, split, lut, suffix, nproc=args.nproc, force=args.force)
        lines.append(summary.line(suffix))
        if out.resolve() != root.resolve():
            note = link_images(root, out, split, copy=args.copy_images)
            if note:
                lines.append(note)
    print("\n".join(lines))
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """COCO-Stuff-164k: raw -> ``_labelTrainIds.png``."""
    return run(argv, description=__doc__, lut=coco_stuff_lut(), suffix=LABEL_SUFFIX)


if __name__ == "__main__":
    from proxyseg.cli import run_main

    sys.exit(run_main(main))
