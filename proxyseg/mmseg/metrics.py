"""IoU metric that also keeps the per-class table for results files."""
from __future__ import annotations

from collections import OrderedDict
from typing import Dict

import numpy as np
from mmseg.evaluation.metrics import IoUMetric
from mmseg.registry import METRICS


@METRICS.register_module(force=True)
class ProxySegIoUMetric(IoUMetric):
    """MMSeg's ``IoUMetric``; after evaluation ``self.per_class`` holds
    ``{class: {"IoU": float|None, "Acc": float|None}}`` (percent, ``None`` where undefined) and
    ``self.num_images`` the number of evaluated images."""

    def compute_metrics(self, results: list) -> Dict[str, float]:
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
