#!/usr/bin/env python
"""Write tiny synthetic copies of the benchmarks in their real on-disk layouts.

    python tools/make_synthetic_data.py                  # -> data/synthetic (COCO-Stuff + COCO-Object)
    python tools/make_synthetic_data.py --out /tmp/syn --num 8 --seed 1
    python tools/make_synthetic_data.py --dataset voc21 context60 cityscapes --num 2
    python tools/make_synthetic_data.py --dataset all --num 2   # all ten benchmarks

``--dataset`` (other than the COCO pair, val split only): every twin sits under ``OUT`` at the path
its config's ``data_root`` has under ``data/`` (``OUT/VOCdevkit/VOC2012``, ``OUT/VOCdevkit/VOC2010``,
``OUT/cityscapes``, ``OUT/ade/ADEChallengeData2016``, ``OUT/ADE20K_2021_17_01``), and is written from
the original release's format with the real converters where the benchmark needs one (Pascal
Context ``.mat`` -> PC60/PC59/PC459, Cityscapes labelIds -> labelTrainIds, ADE20K-Full index +
``_seg.png`` -> ADE847 TIFFs). See data/README.md.

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


# ----------------------------------------------------------------------------- the other benchmarks

#: --dataset name -> the twin written for it (voc20 shares voc21's files, context59/459 context60's)
TWINS = {
    "coco_stuff164k": "coco", "coco_object": "coco", "voc21": "voc", "voc20": "voc", "context60": "context",
    "context59": "context", "context459": "context", "cityscapes": "cityscapes", "ade20k": "ade20k",
    "ade847": "ade847",
}


def _scene(rng: np.random.Generator, height: int, width: int, background: Sequence[int], things: Sequence[int],
           ignore: Optional[int]) -> Tuple[np.ndarray, np.ndarray]:
    """Generic scene: two regions of ``background`` ids, 2 shapes of ``things`` ids, a ring of ``ignore``.

    Returns ``(image (H, W, 3) uint8, label (H, W) int64)``; colours follow the label id.
    """
    label = np.empty((height, width), dtype=np.int64)
    top, bottom = rng.choice(np.asarray(background), size=2, replace=len(background) < 2)
    horizon = int(rng.integers(height // 3, 2 * height // 3 + 1))
    label[:horizon], label[horizon:] = top, bottom
    ring = np.zeros((height, width), dtype=bool)
    for i, thing in enumerate(rng.choice(np.asarray(things), size=2, replace=len(things) < 2)):
        kind = "rect" if rng.random() < 0.5 else "ellipse"
        box = _shape_box(rng, height, width)
        mask = _shape_mask(kind, box, height, width)
        label[mask] = thing
        ring &= ~mask
        if i == 0 and ignore is not None:
            ring |= _shape_mask(kind, box, height, width, grow=RING) & ~mask
    image = class_colours()[label % 256].astype(np.float32) + rng.normal(0.0, 6.0, size=(height, width, 3))
    if ignore is not None:
        label[ring] = ignore
    return np.clip(image, 0, 255).astype(np.uint8), label


def _fresh(folder: Path) -> Path:
    if folder.is_dir():
        import shutil

        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def write_voc(out: Path, num: int, rng: np.random.Generator) -> List[str]:
    """VOC2012 val: ``JPEGImages``, palette ``SegmentationClass`` PNGs (0..20, 255), split file."""
    root = out / "VOCdevkit" / "VOC2012"
    img_dir, ann_dir = _fresh(root / "JPEGImages"), _fresh(root / "SegmentationClass")
    palette = np.zeros((256, 3), dtype=np.uint8)
    palette[:21] = class_colours()[:21]
    palette[255] = (224, 224, 192)
    names = []
    for i in range(num):
        h, w = SIZES[i % len(SIZES)]
        image, label = _scene(rng, h, w, [0], list(range(1, 21)), 255)
        name = f"2007_{i + 1:06d}"
        Image.fromarray(image).save(img_dir / f"{name}.jpg", quality=95)
        png = Image.fromarray(label.astype(np.uint8), mode="P")
        png.putpalette(palette.ravel().tolist())
        png.save(ann_dir / f"{name}.png")
        names.append(name)
    split = root / "ImageSets" / "Segmentation"
    split.mkdir(parents=True, exist_ok=True)
    (split / "val.txt").write_text("\n".join(names) + "\n")
    return names


def write_context(out: Path, num: int, rng: np.random.Generator) -> List[str]:
    """VOC2010 + Pascal Context ``trainval/*.mat`` (ids 0..459), converted by pascal_context.py."""
    from scipy.io import savemat

    pc = load_converter("pascal_context")
    root = out / "VOCdevkit" / "VOC2010"
    img_dir = _fresh(root / "JPEGImages")
    raw = _fresh(out / "pascal_context" / "trainval")
    for sub in ("SegmentationClassContext", "annotations_detectron2"):
        _fresh(root / sub)
    in59 = [i for i in pc.PC59_SOURCE_IDS if i]
    others = [i for i in range(1, pc.NUM_FULL + 1) if i not in pc.PC59_SOURCE_IDS]
    names = []
    for i in range(num):
        h, w = SIZES[i % len(SIZES)]
        image, label = _scene(rng, h, w, others[:20] + in59[:5], in59 + others[-5:], 0)
        name = f"2008_{i + 1:06d}"
        Image.fromarray(image).save(img_dir / f"{name}.jpg", quality=95)
        savemat(str(raw / f"{name}.mat"), {"LabelMap": label.astype(np.uint16)})
        names.append(name)
    main = root / "ImageSets" / "Main"
    main.mkdir(parents=True, exist_ok=True)
    (main / "val.txt").write_text("\n".join(names) + "\n")
    pc.convert(root, out / "pascal_context", ["val"])
    return names


def write_cityscapes(out: Path, num: int, rng: np.random.Generator) -> List[str]:
    """Cityscapes val: ``leftImg8bit`` + ``gtFine`` labelIds (0..33), converted by cityscapes.py."""
    cs = load_converter("cityscapes")
    root = out / "cityscapes"
    img_dir, ann_dir = _fresh(root / "leftImg8bit" / "val" / "frankfurt"), _fresh(root / "gtFine" / "val" / "frankfurt")
    names = []
    for i in range(num):
        h, w = SIZES[i % len(SIZES)]
        image, label = _scene(rng, h, w, [7, 8, 11, 23, 6], [24, 26, 17, 33, 4], 0)
        name = f"frankfurt_000000_{i + 1:06d}"
        Image.fromarray(image).save(img_dir / f"{name}_leftImg8bit.png")
        Image.fromarray(label.astype(np.uint8)).save(ann_dir / f"{name}_gtFine_labelIds.png")
        names.append(name)
    cs.convert(root, ["val"])
    return names


def write_ade20k(out: Path, num: int, rng: np.random.Generator) -> List[str]:
    """ADEChallengeData2016 validation: JPEGs and PNG labels (0 other, 1..150)."""
    root = out / "ade" / "ADEChallengeData2016"
    img_dir, ann_dir = _fresh(root / "images" / "validation"), _fresh(root / "annotations" / "validation")
    names = []
    for i in range(num):
        h, w = SIZES[i % len(SIZES)]
        image, label = _scene(rng, h, w, [1, 2, 3, 4, 0], list(range(5, 151)), None)
        name = f"ADE_val_{i + 1:08d}"
        Image.fromarray(image).save(img_dir / f"{name}.jpg", quality=95)
        Image.fromarray(label.astype(np.uint8)).save(ann_dir / f"{name}.png")
        names.append(name)
    return names


def write_ade847(out: Path, num: int, rng: np.random.Generator) -> List[str]:
    """ADE20K 2021 release (index pkl, ``_seg.png`` with ``R // 10 * 256 + G`` ids), converted by ade847.py."""
    import pickle

    ade = load_converter("ade847")
    root = _fresh(out / "ADE20K_2021_17_01")
    names847 = ade.class_names()
    objectnames = ["-"] + list(reversed(names847)) + ["not in the benchmark"]  # ids != class order
    scene_dir = root / "images" / "ADE" / "validation" / "urban"
    scene_dir.mkdir(parents=True)
    folders, files, names = [], [], []
    for i in range(num):
        h, w = SIZES[i % len(SIZES)]
        image, ids = _scene(rng, h, w, [len(objectnames), 1], list(range(2, 300)) + [700], 0)
        name = f"ADE_frame_{i + 1:08d}"
        Image.fromarray(image).save(scene_dir / f"{name}.jpg", quality=95)
        seg = np.zeros((h, w, 3), dtype=np.uint8)
        seg[..., 0] = (ids // 256) * 10
        seg[..., 1] = ids % 256
        Image.fromarray(seg).save(scene_dir / f"{name}_seg.png")
        folders.append("ADE20K_2021_17_01/images/ADE/validation/urban")
        files.append(f"{name}.jpg")
        names.append(name)
    with open(root / "index_ade20k.pkl", "wb") as f:
        pickle.dump(dict(folder=folders, filename=files, objectnames=objectnames), f)
    ade.convert(root)
    return names


def make_twins(out: Path, datasets: Sequence[str], num: int = 2, seed: int = 0) -> Dict[str, List[str]]:
    """Write the synthetic twins of ``datasets`` (names of :data:`TWINS`) under ``out``; names per twin."""
    claim_output(Path(out))
    rng = np.random.default_rng(seed)
    writers = {"voc": write_voc, "context": write_context, "cityscapes": write_cityscapes,
               "ade20k": write_ade20k, "ade847": write_ade847}
    done: Dict[str, List[str]] = {}
    for ds in datasets:
        twin = TWINS[ds]
        if twin in done:
            continue
        if twin == "coco":
            done[twin] = make_synthetic_data(out, num, seed, ("val2017",))["val2017"]
        else:
            done[twin] = writers[twin](Path(out), num, rng)
    return done


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(REPO / "data" / "synthetic"), help="output folder (default: %(default)s)")
    p.add_argument("--num", type=int, default=4, help="images per split (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--split", nargs="+", choices=SPLITS, default=list(SPLITS), help="splits to write (default: both)")
    p.add_argument("--with-raw", action="store_true", help="also write raw COCO-Stuff <name>.png label maps")
    p.add_argument("--dataset", nargs="+", choices=sorted(TWINS) + ["all"],
                   help="benchmarks to write (val split only; default: the COCO pair, both splits)")
    args = p.parse_args(argv)
    if not 1 <= args.num <= 10000:
        p.error("--num must be between 1 and 10000")
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    out = Path(args.out).expanduser()
    if args.dataset:
        names = sorted(TWINS) if "all" in args.dataset else args.dataset
        for twin, written_names in make_twins(out, names, args.num, args.seed).items():
            print(f"{twin}: {len(written_names)} val images -> {out}")
        return 0
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
