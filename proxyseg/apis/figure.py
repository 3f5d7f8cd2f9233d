"""Paper figures from a dataset split: rows = images, columns = image, ground truth, one per method spec.

Call graph::

    dataset_figure(config, methods, num)
      Segmenter.from_config(config)           # CLIP loaded once
      -> dataset_samples(cfg)                 # the config's test split: images + label files
      -> per image: resize to the protocol's short side (image bilinear, label nearest)
                    Segmenter.compare(image, methods)   # the config's class file and threshold
      -> render_grid(rows, titles, legend)    # legend: classes present in the figure only

Presets reproduce the seed study's figures: ``fig1`` (ProxyCLIP with and without feature
adjustment) and ``fig2`` (ProxyCLIP with DINO ViT-S/8 and ViT-S/16).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from ..errors import DatasetError, UsageError
from . import visualize as V
from .montage import Figure, render_grid

PRESETS: Dict[str, Tuple[str, str]] = {
    "fig1": ("proxyclip,proxyclip+fa", "seed Figure 1: ProxyCLIP without and with feature adjustment"),
    "fig2": ("proxyclip:dino-s8,proxyclip:dino-s16", "seed Figure 2: ProxyCLIP with DINO ViT-S/8 and ViT-S/16"),
}
LABEL_SUFFIXES = ("_instanceTrainIds.png", "_labelTrainIds.png", ".png")  # COCO-Object, COCO-Stuff, plain
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
IGNORE = 255
IGNORE_RGB = (255, 255, 255)


@dataclass
class Sample:
    """One image of a split and its label file."""

    name: str
    image: Path
    label: Path


def dataset_samples(cfg: dict, *, data_root: Optional[str] = None, split: Optional[str] = None, num: int = 4,
                    names: Optional[Sequence[str]] = None, seg_map_suffix: Optional[str] = None) -> List[Sample]:
    """The first ``num`` images (sorted by name, or the given ``names``) of the config's test split.

    Args:
        cfg: a loaded config (its ``test_dataloader.dataset``: ``data_root``, ``data_prefix``).
        data_root: overrides the config's. split: replaces the last folder of both prefixes
            (``val2017`` -> ``train2017``).
        seg_map_suffix: label file suffix (default: the dataset's, else the first of
            ``_instanceTrainIds.png``, ``_labelTrainIds.png``, ``.png`` that exists).
    """
    from ..cli import REPO_ROOT

    ds = ((cfg.get("test_dataloader") or {}).get("dataset") or {})
    root = data_root or ds.get("data_root")
    if not root:
        raise UsageError("the config has no test_dataloader.dataset.data_root: pass --data-root")
    root_p = Path(root).expanduser()
    if not root_p.is_absolute() and not root_p.is_dir() and (REPO_ROOT / root_p).is_dir():
        root_p = REPO_ROOT / root_p
    prefix = ds.get("data_prefix") or {}
    img_rel, ann_rel = Path(prefix.get("img_path", "")), Path(prefix.get("seg_map_path", ""))
    if split:
        img_rel, ann_rel = img_rel.parent / split, ann_rel.parent / split
    img_dir, ann_dir = root_p / img_rel, root_p / ann_rel
    if not img_dir.is_dir():
        raise DatasetError(f"image folder {img_dir} not found; pass --data-root (e.g. data/synthetic/coco_object "
                           f"after python tools/make_synthetic_data.py)")
    suffix = seg_map_suffix or ds.get("seg_map_suffix")
    images = sorted(p for p in img_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if names:
        by_name = {p.stem: p for p in images}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise DatasetError(f"image {missing[0]!r} not found in {img_dir}")
        images = [by_name[n] for n in names]
    else:
        images = images[:num]
    if not images:
        raise DatasetError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {img_dir}")
    out = []
    for p in images:
        cands = [ann_dir / f"{p.stem}{s}" for s in ([suffix] if suffix else LABEL_SUFFIXES)]
        label = next((c for c in cands if c.is_file()), None)
        if label is None:
            raise DatasetError(f"no label for {p.name}: expected {cands[0]}" + (" (or --seg-map-suffix)" if not suffix
                                                                                 else ""))
        out.append(Sample(p.stem, p, label))
    return out


def protocol_short_side(cfg: dict) -> Optional[int]:
    """The short side of the config's test ``Resize`` (``scale=(2048, 336)`` -> 336), if any."""
    pipeline = ((cfg.get("test_dataloader") or {}).get("dataset") or {}).get("pipeline") or []
    for step in pipeline:
        if isinstance(step, dict) and step.get("type") == "Resize" and step.get("keep_ratio"):
            scale = step.get("scale")
            if isinstance(scale, (list, tuple)) and len(scale) == 2:
                return int(min(scale))
    return None


def load_pair(sample: Sample, short_side: Optional[int]) -> Tuple[np.ndarray, np.ndarray]:
    """``(H, W, 3)`` uint8 image and ``(H, W)`` int64 label, resized to ``short_side`` (label nearest)."""
    from .image_io import load_image

    image = load_image(sample.image, name=sample.image.name)
    label = np.asarray(Image.open(sample.label)).astype(np.int64)
    if label.ndim != 2:
        raise DatasetError(f"label {sample.label} is not a single-channel class-id image")
    if label.shape != image.shape[:2]:
        raise DatasetError(f"label {sample.label} is {label.shape[1]}x{label.shape[0]}, its image "
                           f"{image.shape[1]}x{image.shape[0]}")
    if short_side:
        h, w = image.shape[:2]
        s = short_side / min(h, w)
        size = (max(1, round(w * s)), max(1, round(h * s)))
        image = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))
        label = np.asarray(Image.fromarray(label.astype(np.int32)).resize(size, Image.Resampling.NEAREST))
        label = label.astype(np.int64)
    return image, label


def label_overlay(image: np.ndarray, label: np.ndarray, colors: np.ndarray, alpha: float) -> np.ndarray:
    """Ground truth over the image; ignored pixels (255, or ids without a colour) in white."""
    valid = (label >= 0) & (label < len(colors))
    out = V.overlay(image, np.where(valid, label, 0), colors, alpha)
    out[~valid] = IGNORE_RGB
    return out


def dataset_figure(config: str, methods: str, *, num: int = 4, names: Optional[Sequence[str]] = None,
                   data_root: Optional[str] = None, split: Optional[str] = None, device: str = "cpu",
                   short_side: Optional[int] = -1, alpha: float = 0.6, cell_height: int = 220,
                   seg_map_suffix: Optional[str] = None, progress=None, **overrides) -> Tuple[Figure, dict]:
    """Render the grid; returns the :class:`Figure` and a JSON-ready summary.

    Args:
        config: config path/name (its model, class file, threshold and test split).
        methods: comma-separated method specs (:mod:`proxyseg.apis.compare`) or a preset name.
        short_side: resize images to this short side; ``-1``: the config's test ``Resize``;
            ``None``/``0``: original size.
        overrides: model config overrides (as :meth:`Segmenter.from_config`).
    """
    from .compare import panels_of, parse_specs
    from .config_loader import load_config
    from .inference import Segmenter

    methods = PRESETS[methods][0] if methods in PRESETS else methods
    specs = parse_specs(methods)
    cfg = load_config(config)
    samples = dataset_samples(cfg, data_root=data_root, split=split, num=num, names=names,
                              seg_map_suffix=seg_map_suffix)
    if short_side == -1:
        short_side = protocol_short_side(cfg)
    seg = Segmenter.from_config(cfg, device=device, max_side=None, **overrides)
    panels_of(seg).prepare(specs)  # every spec's weights, before any image
    rows, present, colors, classes, ignored = [], set(), None, None, False
    summary: dict = dict(config=seg.name, methods=[s.text for s in specs], images={})
    for sample in samples:
        image, label = load_pair(sample, short_side)
        t0 = time.time()
        res = seg.compare(image, methods, name=sample.image.name, keep_probs=False)
        first = next(iter(res.values()))
        colors, classes = first.colors, first.classes
        present.update(int(v) for v in np.unique(label) if 0 <= v < len(classes))
        ignored = ignored or bool(((label < 0) | (label >= len(classes))).any())
        for r in res.values():
            present.update(int(v) for v in np.unique(r.mask))
        rows.append([image, label_overlay(image, label, colors, alpha)] + [r.overlay(alpha) for r in res.values()])
        summary["images"][sample.name] = {
            spec: dict(pixel_accuracy=_pixel_acc(r.mask, label), seconds=r.meta["seconds"]) for spec, r in res.items()}
        if progress is not None:
            progress(sample.name, time.time() - t0)
    names = list(classes)
    if first.background is not None:
        names[0] = "background"  # class 0 of a class file may list its synonyms (COCO-Object: 'sky; wall; ...')
    legend = [(names[i], tuple(int(c) for c in colors[i])) for i in sorted(present)]
    if ignored:
        legend.append(("ignored", IGNORE_RGB))
    fig = render_grid(rows, ["image", "ground truth", *[s.text for s in specs]], legend,
                      row_titles=[s.name for s in samples], cell_height=cell_height)
    return fig, summary


def _pixel_acc(mask: np.ndarray, label: np.ndarray) -> Optional[float]:
    valid = label != IGNORE
    return round(float((mask[valid] == label[valid]).mean()), 6) if valid.any() else None
