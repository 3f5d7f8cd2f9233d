"""``FolderSegDataset``: your own images, label masks and class file (layout: proxyseg/data/folder.py).

    test_dataloader = dict(dataset=dict(type='FolderSegDataset', data_root='DIR',
                                        class_file=None,      # default DIR/classes.txt
                                        id_map=None,          # dict or JSON file; default DIR/id_map.json if present
                                        ignore_index=255, reduce_zero_label=False))

Images and labels are matched by relative stem (any of ``img_suffix`` / ``seg_map_suffix``); labels
(8- or 16-bit PNG/TIFF) are read by ``LoadFolderLabels``, which applies ``reduce_zero_label`` or the
id map. The classes (``METAINFO``) are the first name of each line of the class file.
"""
from __future__ import annotations

import os.path as osp
from pathlib import Path
from typing import List, Optional

import numpy as np
from mmseg.datasets import BaseSegDataset
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import DATASETS, TRANSFORMS

from ..data.folder import (IMG_SUFFIXES, SEG_SUFFIXES, FolderLayout, class_file_for, load_id_map, map_labels,
                           match_pairs)
from ..errors import DatasetError

__all__ = ["FolderSegDataset", "LoadFolderLabels"]


class FolderSegDataset(BaseSegDataset):
    """Images and label masks in two folders, classes from a class file.

    Args:
        class_file: the class file (default ``<data_root>/classes.txt``); the model's ``name_path``
            must be the same file (the evaluation sets it when it is not given).
        id_map: ``{raw value: class index or 'ignore'}`` or a JSON file with it (default
            ``<data_root>/id_map.json`` when it exists).
        img_suffix / seg_map_suffix: a suffix or a list of them.
        ignore_index, reduce_zero_label: as MMSeg's (reduce_zero_label: 0 -> ignore, v -> v-1).
    """

    METAINFO: dict = dict()

    def __init__(self, class_file: Optional[str] = None, id_map=None, img_suffix=IMG_SUFFIXES,
                 seg_map_suffix=SEG_SUFFIXES, data_root: Optional[str] = None,
                 data_prefix: dict = dict(img_path="images", seg_map_path="labels"), metainfo: Optional[dict] = None,
                 ignore_index: int = 255, reduce_zero_label: bool = False, **kwargs) -> None:
        from ..text import load_class_names

        root = Path(data_root or "")
        self.class_file = str(class_file_for(root, class_file))
        classes = load_class_names(self.class_file)
        self.id_map = load_id_map(id_map, len(classes), ignore_index, data_root=root)
        if self.id_map is not None and reduce_zero_label:
            raise DatasetError("FolderSegDataset: reduce_zero_label and an id map both given: map 0 to \"ignore\" "
                               "in the id map instead")
        self._prefix_names = dict(data_prefix)
        meta = dict(metainfo or {})
        meta.setdefault("classes", tuple(classes.names))
        super().__init__(img_suffix=tuple(img_suffix) if not isinstance(img_suffix, str) else img_suffix,
                         seg_map_suffix=seg_map_suffix, data_root=data_root, data_prefix=data_prefix,
                         metainfo=meta, ignore_index=ignore_index, reduce_zero_label=reduce_zero_label, **kwargs)

    def load_data_list(self) -> List[dict]:
        layout = FolderLayout(Path(self.data_root or ""), self._prefix_names.get("img_path", "images"),
                              self._prefix_names.get("seg_map_path", "labels"), self.img_suffix, self.seg_map_suffix)
        pairs, _, _ = match_pairs(layout)
        stems = list(pairs)
        if self.ann_file and osp.isfile(self.ann_file):  # a split / --skip-bad's good files: stems
            stems = [s.strip() for s in Path(self.ann_file).read_text(encoding="utf-8").splitlines() if s.strip()]
            missing = [s for s in stems if s not in pairs]
            if missing:
                raise DatasetError(f"{len(missing)} names in {self.ann_file} have no image in {layout.images} "
                                   f"(e.g. {missing[0]})")
        if not stems:
            raise DatasetError(f"no images in {layout.images} (suffixes {', '.join(layout.img_suffix)})")
        out = []
        for s in stems:
            img, seg = pairs[s]
            out.append(dict(img_path=str(img), seg_map_path=str(seg) if seg else None, label_map=None,
                            reduce_zero_label=self.reduce_zero_label, folder_id_map=self.id_map,
                            folder_ignore_index=self.ignore_index, seg_fields=[]))
        return out


class LoadFolderLabels(LoadAnnotations):
    """Read an 8- or 16-bit label (PNG/TIFF) as int64 class indices: ``reduce_zero_label`` or the
    dataset's id map applied; values the map does not list become -1 (the metric names them)."""

    def _load_seg_map(self, results: dict) -> None:
        from PIL import Image

        path = results.get("seg_map_path")
        if not path:
            raise DatasetError(f"image {results.get('img_path')} has no label; run tools/check_data.py folder "
                               f"--data-root DIR, or pass --skip-bad")
        with Image.open(path) as im:
            raw = np.array(im)
        if raw.ndim != 2:
            raise DatasetError(f"label {path} has shape {raw.shape}: expected one channel of class indices")
        results["gt_seg_map"] = map_labels(raw, ignore_index=results.get("folder_ignore_index", 255),
                                           reduce_zero_label=results.get("reduce_zero_label", False),
                                           id_map=results.get("folder_id_map"))
        results["seg_fields"].append("gt_seg_map")


DATASETS.register_module(name="FolderSegDataset", module=FolderSegDataset, force=True)
TRANSFORMS.register_module(name="LoadFolderLabels", module=LoadFolderLabels, force=True)
