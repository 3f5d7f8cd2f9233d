"""IoU metric that checks label values and keeps the per-class table for results files."""
from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmseg.evaluation.metrics import IoUMetric
from mmseg.registry import METRICS

from ..errors import DatasetError
from . import resume


@METRICS.register_module(force=True)
class ProxySegIoUMetric(IoUMetric):
    """MMSeg's ``IoUMetric`` plus:

    - label values outside ``[0, num_classes)`` (other than ``ignore_index``) raise a
      :class:`DatasetError` naming the file and the values (MMSeg would silently drop them from
      the histogram); ``out_of_range='ignore'`` treats them as ``ignore_index`` instead;
    - after evaluation ``self.per_class`` holds ``{class: {"IoU": float|None, "Acc": float|None}}``
      (percent, ``None`` where undefined) and ``self.num_images`` the number of images.
    """

    def __init__(self, *args, out_of_range: str = "error", pred_key: str = "pred_sem_seg",
                 resume_dir: Optional[str] = None, resume_chunk: int = 16, **kwargs):
        super().__init__(*args, **kwargs)
        if out_of_range not in ("error", "ignore"):
            raise ValueError(f"out_of_range must be 'error' or 'ignore', got {out_of_range!r}")
        self.out_of_range = out_of_range
        self.pred_key = pred_key  # a shared pass stores model i's prediction as pred_sem_seg_<i>
        # resumable evaluation (proxyseg.mmseg.resume): counts of images finished by an earlier run,
        # and every ``resume_chunk`` new images written to ``resume_dir`` as one chunk file
        self.resume_dir, self.resume_chunk = resume_dir, max(1, int(resume_chunk))
        self._prior = resume.load_counts(resume_dir) if resume_dir else []
        self._chunk_index = len(list(Path(resume_dir).glob("chunk_*.pt"))) if resume_dir else 0
        self._flushed = 0
        self.confusion = None  # after evaluation: [true, predicted] pixel counts (see _add_confusion)
        self._conf = None
        self.per_image = None  # after evaluation: [(img_path, mIoU, aAcc)], this run's images
        self._per_image = []

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        if self.pred_key != "pred_sem_seg":
            data_samples = [dict(s, pred_sem_seg=s[self.pred_key]) for s in data_samples]
        num_classes = len(self.dataset_meta["classes"])
        for sample in data_samples:
            label = sample["gt_sem_seg"]["data"]
            bad = (label >= num_classes) & (label != self.ignore_index) | (label < 0)
            if bad.any():
                values = sorted(int(v) for v in torch.unique(label[bad]))[:10]
                if self.out_of_range == "error":
                    raise DatasetError(
                        f"label {sample.get('seg_map_path', '?')} has values {values} outside the "
                        f"{num_classes} classes (0..{num_classes - 1}, ignore {self.ignore_index}): wrong dataset "
                        f"type or label suffix? To count them as ignored, pass --ignore-bad-labels")
                label[bad] = self.ignore_index
        super().process(data_batch, data_samples)
        self._add_confusion(data_samples, num_classes)
        if self.resume_dir and len(self.results) - self._flushed >= self.resume_chunk:
            self._flush()

    # ---- confusion matrix (proxyseg.apis.confusion writes the picture): one K x K sum per process,
    # summed over processes in evaluate(); left out (None) when a resumed run counted earlier images
    def _add_confusion(self, data_samples: Sequence[dict], num_classes: int) -> None:
        for sample in data_samples:
            pred = sample["pred_sem_seg"]["data"].squeeze().reshape(-1).to("cpu", torch.int64)
            label = sample["gt_sem_seg"]["data"].squeeze().reshape(-1).to("cpu", torch.int64)
            keep = (label != self.ignore_index) & (label >= 0) & (label < num_classes) & (pred >= 0) & \
                (pred < num_classes)
            counts = torch.bincount(label[keep] * num_classes + pred[keep], minlength=num_classes * num_classes)
            counts = counts.reshape(num_classes, num_classes)
            self._conf = counts if self._conf is None else self._conf + counts
            inter = torch.diagonal(counts).double()
            union = counts.sum(0).double() + counts.sum(1).double() - inter
            present = union > 0
            total = int(counts.sum())
            self._per_image.append((str(sample.get("img_path", "?")),
                                    round(float((inter[present] / union[present]).mean()) * 100, 2) if present.any()
                                    else None, round(float(inter.sum()) / total * 100, 2) if total else None))

    def evaluate(self, size: int) -> dict:
        from mmengine import dist

        k = len(self.dataset_meta["classes"])
        conf = self._conf if self._conf is not None else torch.zeros(k, k, dtype=torch.int64)
        per_image = self._per_image
        if dist.get_world_size() > 1:
            dist.all_reduce(conf)
            per_image = [r for part in dist.all_gather_object(per_image) for r in part]
        resumed = bool(self._prior)
        self._conf, self._per_image = None, []
        self.confusion = None if resumed else conf.numpy()
        self.per_image = per_image
        return super().evaluate(size)

    def _flush(self) -> None:
        resume.save_chunk(self.resume_dir, self._chunk_index, self.results[self._flushed:])
        self._chunk_index += 1
        self._flushed = len(self.results)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        results = list(self._prior) + list(results)  # earlier run's images first: the same sums
        self._prior, self._flushed = [], 0
        inter, union, pred, label = (sum(r) for r in zip(*results))
        metrics = super().compute_metrics(results)
        with np.errstate(divide="ignore", invalid="ignore"):
            iou = (inter / union).numpy() * 100
            acc = (inter / label).numpy() * 100
        self.per_class = OrderedDict(
            (name, {"IoU": None if np.isnan(i) else round(float(i), 2), "Acc": None if np.isnan(a) else round(float(a), 2)})
            for name, i, a in zip(self.dataset_meta["classes"], iou, acc))
        self.num_images = len(results)
        return metrics
