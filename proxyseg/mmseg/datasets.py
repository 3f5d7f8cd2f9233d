"""Extra MMSeg datasets for open-vocabulary evaluation, and a data-root check with clear errors.

MMSeg already has COCO-Stuff-164k (``COCOStuffDataset``), VOC21 (``PascalVOCDataset``),
Context60/59 (``PascalContextDataset`` / ``PascalContextDataset59``), ADE20K and Cityscapes;
the configs use those. Registered here (names as in upstream ProxyCLIP / TCL / GroupViT):

- ``COCOObjectDataset``: background + the 80 COCO things (COCO-Stuff's first 80 classes);
  labels ``<name>_instanceTrainIds.png`` written by ``tools/dataset_converters/coco_object.py``.
- ``PascalVOC20Dataset``: VOC without background; label 0 becomes ignore
  (``reduce_zero_label=True``), 1..20 become 0..19.
- ``PascalContext459Dataset`` and ``ADE20K847Dataset``: the CAT-Seg layout (16-bit TIFF labels,
  0..N-1 classes, 65535 unlabeled), read with ``LoadAnnotations16`` and evaluated with
  ``IoUMetric(ignore_index=65535)`` (docs/protocols.md).

Transforms: ``LoadAnnotations16`` (16-bit label maps) and ``UnlabeledToBackground`` (COCO-Object's
paper protocol: unlabeled 255 -> background 0, as upstream's GroupViT-made labels have it).

Class names and palettes are taken from MMSeg's own metadata, so they stay in sync with it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Set, Union

import numpy as np
from mmseg.datasets import BaseSegDataset, COCOStuffDataset, PascalVOCDataset
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import DATASETS, TRANSFORMS

from ..errors import DatasetError

__all__ = ["COCOObjectDataset", "PascalVOC20Dataset", "PascalContext459Dataset", "ADE20K847Dataset",
           "LoadAnnotations16", "UnlabeledToBackground", "check_data_root", "check_dataset_cfg"]

#: Class files shipped with the configs (names of the large CAT-Seg benchmarks come from them).
CLASS_DIR = Path(__file__).resolve().parents[2] / "configs" / "_base_" / "class_names"
#: Unlabeled value of CAT-Seg's 16-bit TIFF labels (its prepare scripts write label - 1 as uint16).
IGNORE_16BIT = 65535

PathLike = Union[str, Path]


class COCOObjectDataset(BaseSegDataset):
    """COCO-Object: 81 classes (background + 80 COCO things), COCO 2017 images.

    Layout (``data_root``): ``images/<split>/<name>.jpg`` and
    ``annotations/<split>/<name>_instanceTrainIds.png`` (0 background, 1..80 things, 255 ignore).

    Args:
        img_suffix (str): image suffix. Default ``'.jpg'``.
        seg_map_suffix (str): label suffix. Default ``'_instanceTrainIds.png'``.
        reduce_zero_label (bool): keep False: 0 is a real class (background).
        **kwargs: passed to :class:`mmseg.datasets.BaseSegDataset`.
    """

    METAINFO = dict(
        classes=("background",) + tuple(COCOStuffDataset.METAINFO["classes"][:80]),
        palette=[[0, 0, 0]] + [list(c) for c in COCOStuffDataset.METAINFO["palette"][:80]],
    )

    def __init__(self, img_suffix: str = ".jpg", seg_map_suffix: str = "_instanceTrainIds.png",
                 reduce_zero_label: bool = False, **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=reduce_zero_label, **kwargs)


class PascalVOC20Dataset(PascalVOCDataset):
    """Pascal VOC 2012 without background: 20 classes, background pixels ignored.

    Same files as :class:`mmseg.datasets.PascalVOCDataset` (``JPEGImages``, ``SegmentationClass``,
    ``ann_file`` listing the split); ``reduce_zero_label=True`` maps label 0 to 255 and 1..20 to
    0..19.

    Args:
        ann_file (str): split file, e.g. ``'ImageSets/Segmentation/val.txt'``.
        reduce_zero_label (bool): default True (see above).
        **kwargs: passed to :class:`mmseg.datasets.PascalVOCDataset`.
    """

    METAINFO = dict(
        classes=tuple(PascalVOCDataset.METAINFO["classes"][1:]),
        palette=[list(c) for c in PascalVOCDataset.METAINFO["palette"][1:]],
    )

    def __init__(self, ann_file: str, reduce_zero_label: bool = True, **kwargs) -> None:
        super().__init__(ann_file=ann_file, reduce_zero_label=reduce_zero_label, **kwargs)


def _first_names(file_name: str, count: int) -> tuple:
    """First synonym of each line of ``configs/_base_/class_names/<file_name>`` (``class_<i>`` if absent)."""
    path = CLASS_DIR / file_name
    if path.is_file():
        names = tuple(line.split("; ")[0].strip() for line in path.read_text(encoding="utf-8").splitlines()
                      if line.strip())
        if len(names) == count:
            return names
    return tuple(f"class_{i}" for i in range(count))


def _palette(count: int) -> List[List[int]]:
    rng = np.random.default_rng(459)
    return rng.integers(0, 256, size=(count, 3)).tolist()


class PascalContext459Dataset(BaseSegDataset):
    """Pascal Context with all 459 classes, CAT-Seg layout (``tools/dataset_converters/pascal_context.py``).

    Layout (``data_root`` = ``VOCdevkit/VOC2010``): ``JPEGImages/<name>.jpg``,
    ``annotations_detectron2/pc459_val/<name>.tif`` (uint16: 0..458, 65535 unlabeled), split
    ``ImageSets/SegmentationContext/val.txt`` (5105 names). Load labels with ``LoadAnnotations16``.
    """

    METAINFO = dict(classes=_first_names("context459.txt", 459), palette=_palette(459))

    def __init__(self, ann_file: str = "", img_suffix: str = ".jpg", seg_map_suffix: str = ".tif",
                 reduce_zero_label: bool = False, **kwargs) -> None:
        super().__init__(ann_file=ann_file, img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=reduce_zero_label, **kwargs)


class ADE20K847Dataset(BaseSegDataset):
    """ADE20K-Full with 847 classes, CAT-Seg layout (``tools/dataset_converters/ade847.py``).

    Layout (``data_root`` = ``ADE20K_2021_17_01``): ``images_detectron2/validation/<name>.jpg``,
    ``annotations_detectron2/validation/<name>.tif`` (uint16: 0..846, 65535 unlabeled), 2000 images.
    Load labels with ``LoadAnnotations16``.
    """

    METAINFO = dict(classes=_first_names("ade847.txt", 847), palette=_palette(847))

    def __init__(self, img_suffix: str = ".jpg", seg_map_suffix: str = ".tif", reduce_zero_label: bool = False,
                 **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, reduce_zero_label=reduce_zero_label,
                         **kwargs)


class LoadAnnotations16(LoadAnnotations):
    """MMSeg's ``LoadAnnotations`` for 16-bit label maps (MMSeg's casts to uint8 and wraps 847 -> 79).

    Adds ``gt_seg_map``: ``(H, W)`` int32 with the file's values (CAT-Seg: 65535 unlabeled).
    """

    def _load_seg_map(self, results: dict) -> None:
        from PIL import Image

        with Image.open(results["seg_map_path"]) as im:
            gt = np.array(im).astype(np.int32)
        if gt.ndim != 2:
            raise DatasetError(f"label {results['seg_map_path']} has shape {gt.shape}, expected one channel "
                               "(re-run the dataset converter, see data/README.md)")
        if results.get("reduce_zero_label", False):
            gt = np.where(gt == 0, IGNORE_16BIT, gt - 1)
        results["gt_seg_map"] = gt
        results["seg_fields"].append("gt_seg_map")


class UnlabeledToBackground:
    """Map unlabeled pixels to background: ``gt_seg_map[gt == unlabeled] = background``.

    COCO-Object's paper protocol (upstream's labels come from GroupViT's converter, which does this;
    docs/protocols.md). Put it right after ``LoadAnnotations``.

    Args:
        unlabeled (int): label value to remap. Default 255.
        background (int): class it becomes. Default 0.
    """

    def __init__(self, unlabeled: int = 255, background: int = 0) -> None:
        self.unlabeled, self.background = int(unlabeled), int(background)

    def __call__(self, results: dict) -> dict:
        gt = results.get("gt_seg_map")
        if gt is None:
            raise DatasetError("UnlabeledToBackground needs labels: put it after LoadAnnotations in the pipeline")
        gt = gt.copy()
        gt[gt == self.unlabeled] = self.background
        results["gt_seg_map"] = gt
        return results

    def __repr__(self) -> str:
        return f"UnlabeledToBackground(unlabeled={self.unlabeled}, background={self.background})"


def register_datasets() -> None:
    """Register the datasets and transforms above in MMSeg's registries (safe to call repeatedly)."""
    for cls in (COCOObjectDataset, PascalVOC20Dataset, PascalContext459Dataset, ADE20K847Dataset):
        DATASETS.register_module(name=cls.__name__, module=cls, force=True)
    for cls in (LoadAnnotations16, UnlabeledToBackground):
        TRANSFORMS.register_module(name=cls.__name__, module=cls, force=True)


register_datasets()

# ----------------------------------------------------------------------------- data-root check

#: How to produce labels with a given suffix (for the "images without labels" message).
_LABEL_HINTS = {
    "_instanceTrainIds.png": "run tools/dataset_converters/coco_object.py on COCO-Stuff-164k",
    "_labelTrainIds.png": "run tools/dataset_converters/coco_stuff164k.py on the raw COCO-Stuff-164k labels",
    "_gtFine_labelTrainIds.png": "run tools/dataset_converters/cityscapes.py",
    ".tif": "run tools/dataset_converters/pascal_context.py (PC459) or ade847.py (ADE847)",
}
_EXAMPLES = 3


def _files_with_suffix(folder: Path, suffix: str) -> Set[str]:
    """Relative paths (``/``-separated, suffix removed) of files under ``folder`` ending in ``suffix``.

    Recursive, like MMSeg's ``BaseSegDataset`` (Cityscapes keeps one folder per city).
    """
    found = set()
    for dirpath, _, filenames in os.walk(folder, followlinks=True):
        rel = Path(dirpath).relative_to(folder)
        for f in filenames:
            if f.endswith(suffix):
                found.add((rel / f[: len(f) - len(suffix)]).as_posix())
    return found


def _examples(names: Iterable[str], suffix: str) -> str:
    names = sorted(names)
    shown = ", ".join(n + suffix for n in names[:_EXAMPLES])
    return shown + (", ..." if len(names) > _EXAMPLES else "")


def _read_split(ann_file: Path) -> List[str]:
    if not ann_file.is_file():
        raise DatasetError(f"split file {ann_file} not found (see data/README.md for the layout)")
    return [line.strip() for line in ann_file.read_text().splitlines() if line.strip()]


def check_data_root(data_root: PathLike, data_prefix: Mapping[str, str], img_suffix: str = ".jpg",
                    seg_map_suffix: str = ".png", ann_file: Optional[PathLike] = None) -> Dict[str, int]:
    """Check an MMSeg dataset folder before a run; raise :class:`DatasetError` with a one-line fix.

    Checks that ``data_root`` exists, that ``data_prefix['img_path']`` holds ``*img_suffix``
    images, that ``data_prefix['seg_map_path']`` (if given) exists, and that images and labels
    pair up (``<name><img_suffix>`` <-> ``<name><seg_map_suffix>``). With ``ann_file`` (relative
    to ``data_root`` unless absolute), only the listed names are checked.

    Returns:
        ``dict(images=N, labels=M)`` for the pairs found.
    """
    root = Path(data_root)
    if not root.is_dir():
        raise DatasetError(f"data root {data_root} not found: put the dataset there (see data/README.md) "
                           "or pass --data-root")
    img_dir = root / data_prefix.get("img_path", "")
    if not img_dir.is_dir():
        raise DatasetError(f"image folder {img_dir} not found in data root {data_root} (see data/README.md "
                           "for the expected layout)")
    ann_dir = root / data_prefix["seg_map_path"] if data_prefix.get("seg_map_path") else None
    if ann_dir is not None and not ann_dir.is_dir():
        raise DatasetError(f"annotation folder {ann_dir} not found in data root {data_root} "
                           "(see data/README.md for the expected layout)")
    if ann_file:
        split = Path(ann_file) if Path(ann_file).is_absolute() else root / ann_file
        return _check_listed(_read_split(split), split, img_dir, ann_dir, img_suffix, seg_map_suffix)
    images = _files_with_suffix(img_dir, img_suffix)
    if not images:
        raise DatasetError(f"no *{img_suffix} images in {img_dir} (see data/README.md)")
    if ann_dir is None:
        return dict(images=len(images), labels=0)
    labels = _files_with_suffix(ann_dir, seg_map_suffix)
    _check_pairs(images, labels, img_dir, ann_dir, img_suffix, seg_map_suffix)
    return dict(images=len(images), labels=len(labels))


def _check_pairs(images: Set[str], labels: Set[str], img_dir: Path, ann_dir: Path, img_suffix: str,
                 seg_map_suffix: str) -> None:
    """Every image has a label and every label an image."""
    unlabeled = images - labels
    if unlabeled:
        hint = _LABEL_HINTS.get(seg_map_suffix, "see data/README.md")
        raise DatasetError(f"{len(unlabeled)} of {len(images)} images in {img_dir} have no *{seg_map_suffix} label "
                           f"in {ann_dir} (e.g. {_examples(unlabeled, img_suffix)}): {hint}")
    orphans = labels - images
    if orphans:
        raise DatasetError(f"{len(orphans)} labels in {ann_dir} have no *{img_suffix} image in {img_dir} "
                           f"(e.g. {_examples(orphans, seg_map_suffix)}): copy the missing images (see data/README.md)")


def _check_listed(names: List[str], split: Path, img_dir: Path, ann_dir: Optional[Path], img_suffix: str,
                  seg_map_suffix: str) -> Dict[str, int]:
    """Every name of a split file has its image (and label)."""
    if not names:
        raise DatasetError(f"split file {split} lists no images")
    no_img = [n for n in names if not (img_dir / (n + img_suffix)).is_file()]
    if no_img:
        raise DatasetError(f"{len(no_img)} of {len(names)} images listed in {split} are missing from {img_dir} "
                           f"(e.g. {_examples(no_img, img_suffix)})")
    if ann_dir is None:
        return dict(images=len(names), labels=0)
    no_label = [n for n in names if not (ann_dir / (n + seg_map_suffix)).is_file()]
    if no_label:
        hint = _LABEL_HINTS.get(seg_map_suffix, "see data/README.md")
        raise DatasetError(f"{len(no_label)} of {len(names)} images listed in {split} have no *{seg_map_suffix} "
                           f"label in {ann_dir} (e.g. {_examples(no_label, img_suffix)}): {hint}")
    return dict(images=len(names), labels=len(names))


def check_dataset_cfg(dataset_cfg: Mapping, repo_root: Optional[PathLike] = None) -> Dict[str, int]:
    """:func:`check_data_root` for a dataset config dict (``type=...``, ``data_root=...``).

    Suffixes default to the dataset class's own defaults. A relative ``data_root`` that does not
    exist is also looked up under ``repo_root``.
    """
    import inspect

    cls = DATASETS.get(dataset_cfg["type"])
    if cls is None:
        raise DatasetError(f"unknown dataset type {dataset_cfg['type']!r}")
    defaults: Dict[str, object] = {}
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            for k, p in inspect.signature(klass.__init__).parameters.items():
                if p.default is not inspect.Parameter.empty:
                    defaults.setdefault(k, p.default)
    root = Path(dataset_cfg.get("data_root", ""))
    if repo_root is not None and not root.is_absolute() and not root.exists() and (Path(repo_root) / root).exists():
        root = Path(repo_root) / root
    return check_data_root(
        root, dataset_cfg.get("data_prefix", {}),
        dataset_cfg.get("img_suffix", defaults.get("img_suffix", ".jpg")),
        dataset_cfg.get("seg_map_suffix", defaults.get("seg_map_suffix", ".png")),
        ann_file=dataset_cfg.get("ann_file") or None,
    )
