#!/usr/bin/env python
"""Write a tiny synthetic COCO-Stuff-164k + COCO-Object dataset in the real MMSeg layouts.

    python tools/make_synthetic_data.py                  # -> data/synthetic (4 images per split)
    python tools/make_synthetic_data.py --out /tmp/syn --num 8 --seed 1

Each image is two stuff regions (top/bottom, random stuff classes) with 2-3 coloured shapes
(rectangles, ellipses) of random thing classes on top; every class has its own colour, so the
labels follow the shapes. A 2-pixel ring around the first shape is unlabeled (raw 255), as at
COCO-Stuff's object borders. One raw COCO-Stuff map per image is converted with the real
converters, which gives

    OUT/coco_stuff164k/images/<split>/<name>.jpg
    OUT/coco_stuff164k/annotations/<split>/<name>_labelTrainIds.png   (0..170, 255)
    OUT/coco_object/images/<split>/<name>.jpg
    OUT/coco_object/annotations/<split>/<name>_instanceTrainIds.png   (0..80, 255)

(``--with-raw`` also writes the raw ``<name>.png`` next to the COCO-Stuff labels, as after
unzipping stuffthingmaps_trainval2017.zip). Image sizes cycle through non-square shapes; the
same seed gives the same files. Files of an earlier run in those folders are replaced.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from functools import lru_cache
from types import ModuleType
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
CONVERTERS = Path(__file__).resolve().parent / "dataset_converters"
#: (height, width) of the images, cycled.
SIZES: Tuple[Tuple[int, int], ...] = ((96, 128), (120, 80), (64, 64), (150, 100))
SPLITS: Tuple[str, ...] = ("val2017", "train2017")
#: First image number per split (COCO-style 12-digit names that never collide across splits).
NAME_OFFSET = {"val2017": 1, "train2017": 100001}
RING = 2  # width of the unlabeled border around the first shape
#: Marks an output folder as ours, so that files of an earlier run may be replaced.
MARKER = ".proxyseg_synthetic"


def load_converter(name: str) -> ModuleType:
    """Import ``tools/dataset_converters/<name>.py`` (the folder is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    sys.path.insert(0, str(CONVERTERS))
    spec = importlib.util.spec_from_file_location(name, CONVERTERS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@lru_cache(maxsize=1)
def class_colours() -> np.ndarray:
    """A fixed RGB colour per raw class id, ``(256, 3)`` uint8 (same for every seed)."""
    return np.random.default_rng(1000).integers(20, 236, size=(256, 3)).astype(np.uint8)


def _shape_box(rng: np.random.Generator, height: int, width: int) -> Tuple[int, int, int, int]:
    """A box (x0, y0, x1, y1) covering 20-50% of each side, fully inside the image."""
    bw = int(rng.integers(max(4, width // 5), max(5, width // 2)))
    bh = int(rng.integers(max(4, height // 5), max(5, height // 2)))
    x0 = int(rng.integers(0, width - bw))
    y0 = int(rng.integers(0, height - bh))
    return x0, y0, x0 + bw, y0 + bh


def _shape_mask(kind: str, box: Tuple[int, int, int, int], height: int, width: int, grow: int = 0) -> np.ndarray:
    """Boolean ``(H, W)`` mask of a rectangle or ellipse in ``box`` (grown by ``grow`` pixels)."""
    x0, y0, x1, y1 = box
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    xy = (x0 - grow, y0 - grow, x1 - 1 + grow, y1 - 1 + grow)
    (draw.rectangle if kind == "rect" else draw.ellipse)(xy, fill=1)
    return np.array(canvas, dtype=bool)


def make_scene(rng: np.random.Generator, height: int, width: int) -> Tuple[np.ndarray, np.ndarray]:
    """One synthetic image and its raw COCO-Stuff label map.

    Returns:
        image: ``(H, W, 3)`` uint8 RGB.
        raw: ``(H, W)`` uint8 raw COCO-Stuff ids (things from the 80 used ids, stuff 91..181, 255).
    """
    coco = load_converter("coco_stuff164k")
    raw = np.empty((height, width), dtype=np.uint8)
    top, bottom = rng.choice(coco.STUFF_IDS, size=2, replace=False)
    horizon = int(rng.integers(height // 3, 2 * height // 3 + 1))
    raw[:horizon], raw[horizon:] = top, bottom
    ring = np.zeros((height, width), dtype=bool)
    for i, thing in enumerate(rng.choice(coco.THING_IDS, size=int(rng.integers(2, 4)), replace=False)):
        kind = "rect" if rng.random() < 0.5 else "ellipse"
        box = _shape_box(rng, height, width)
        mask = _shape_mask(kind, box, height, width)
        raw[mask] = thing
        ring &= ~mask
        if i == 0:
            ring |= _shape_mask(kind, box, height, width, grow=RING) & ~mask
    image = class_colours()[raw].astype(np.float32)
    image += rng.normal(0.0, 6.0, size=image.shape)
    raw[ring] = coco.IGNORE
    return np.clip(image, 0, 255).astype(np.uint8), raw


def _clear(folder: Path, patterns: Sequence[str]) -> None:
    """Remove files of an earlier run (only those matching ``patterns``)."""
    if folder.is_dir():
        for pattern in patterns:
            for f in folder.glob(pattern):
                f.unlink()


def claim_output(out: Path) -> None:
    """Create ``out`` with a marker file; refuse a non-empty folder this tool did not write."""
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise SystemExit(f"error: {out} is not empty and was not written by make_synthetic_data.py "
                         f"(no {MARKER} file): choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by tools/make_synthetic_data.py; its files may be replaced\n")


def _dirs(out: Path, split: str) -> Dict[str, Path]:
    d = {
        "stuff_img": out / "coco_stuff164k" / "images" / split,
        "stuff_ann": out / "coco_stuff164k" / "annotations" / split,
        "obj_img": out / "coco_object" / "images" / split,
        "obj_ann": out / "coco_object" / "annotations" / split,
    }
    for folder in d.values():
        _clear(folder, ("*.jpg", "*.png", "*.tmp"))
        folder.mkdir(parents=True, exist_ok=True)
    return d


def write_split(out: Path, split: str, num: int, rng: np.random.Generator, with_raw: bool = False) -> List[str]:
    """Write ``num`` images of ``split`` into both datasets; returns the image names."""
    stuff, obj = load_converter("coco_stuff164k"), load_converter("coco_object")
    d = _dirs(out, split)
    names = []
    for i in range(num):
        height, width = SIZES[i % len(SIZES)]
        image, raw = make_scene(rng, height, width)
        name = f"{NAME_OFFSET[split] + i:012d}"
        for key in ("stuff_img", "obj_img"):
            Image.fromarray(image).save(d[key] / f"{name}.jpg", quality=95)
        stuff.write_label(stuff.convert_coco_stuff(raw), d["stuff_ann"] / f"{name}{stuff.LABEL_SUFFIX}")
        stuff.write_label(obj.convert_coco_object(raw), d["obj_ann"] / f"{name}{obj.OBJECT_SUFFIX}")
        if with_raw:
            stuff.write_label(raw, d["stuff_ann"] / f"{name}.png")
        names.append(name)
    return names


def make_synthetic_data(out: Path, num: int = 4, seed: int = 0, splits: Sequence[str] = SPLITS,
                        with_raw: bool = False) -> Dict[str, List[str]]:
    """Write the synthetic datasets under ``out``; returns the image names per split."""
    claim_output(Path(out))
    rng = np.random.default_rng(seed)
    return {split: write_split(Path(out), split, num, rng, with_raw) for split in splits}


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(REPO / "data" / "synthetic"), help="output folder (default: %(default)s)")
    p.add_argument("--num", type=int, default=4, help="images per split (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--split", nargs="+", choices=SPLITS, default=list(SPLITS), help="splits to write (default: both)")
    p.add_argument("--with-raw", action="store_true", help="also write raw COCO-Stuff <name>.png label maps")
    args = p.parse_args(argv)
    if not 1 <= args.num <= 10000:
        p.error("--num must be between 1 and 10000")
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    out = Path(args.out).expanduser()
    written = make_synthetic_data(out, args.num, args.seed, args.split, args.with_raw)
    for split, names in written.items():
        sizes = ", ".join(f"{w}x{h}" for h, w in (SIZES[i % len(SIZES)] for i in range(len(names))))
        print(f"{split}: {len(names)} images ({sizes}) ->")
        print(f"  {out / 'coco_stuff164k'}/{{images,annotations}}/{split}  (*.jpg, *_labelTrainIds.png"
              f"{', raw *.png' if args.with_raw else ''})")
        print(f"  {out / 'coco_object'}/{{images,annotations}}/{split}  (*.jpg, *_instanceTrainIds.png)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
