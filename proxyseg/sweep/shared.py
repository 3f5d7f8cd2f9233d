"""Group a sweep's cells into shared passes and build the one evaluation config of a pass.

Cells whose resolved configs differ only in what comes after CLIP's trunk (the last-block method
and its parameters, the VFM, beta, gamma, prob_thd, logit scale, feature adjustment,
post-processing, templates, class list) are evaluated in ONE pass over the data
(:class:`proxyseg.mmseg.shared.ProxyCLIPSharedSegmentor`): per window CLIP's trunk once, each
distinct VFM once, then every cell's readout; one confusion matrix per cell. Everything else
(dataset, pipeline, windows, CLIP backbone, amp, ...) is part of :func:`share_key`, so cells that
differ there fall into separate passes automatically.
"""
from __future__ import annotations

import copy
import json
from typing import Any, Dict, List, Sequence

# model keys that only change what comes after CLIP's trunk
SHAREABLE_MODEL_KEYS = ("method", "beta", "gamma", "prob_thd", "logit_scale", "feature_adjust", "postprocess",
                        "templates", "vfm", "guide_vfm", "name_path", "background_idx", "area_thd", "text_cache_dir")
# top-level keys that do not change the numbers
LABEL_KEYS = ("expected", "protocol", "experiment_name", "work_dir", "visualizer", "default_hooks", "log_level")


def _plain(x: Any) -> Any:
    return x.to_dict() if hasattr(x, "to_dict") else x


def share_key(cfg) -> str:
    """A canonical string of everything in ``cfg`` that the trunk's output depends on."""
    d = copy.deepcopy(_plain(cfg))
    d = {k: v for k, v in d.items() if k not in LABEL_KEYS}
    model = dict(d.get("model") or {})
    if model.get("type") != "ProxyCLIPSegmentor" or model.get("slide_crop", 1) is None:
        return "unshareable:" + json.dumps(d, sort_keys=True, default=str)
    from ..methods import build_method

    if build_method(model.get("method", "proxyclip")).image_level:
        return "unshareable:" + json.dumps(d, sort_keys=True, default=str)
    d["model"] = {k: v for k, v in model.items() if k not in SHAREABLE_MODEL_KEYS}
    return json.dumps(d, sort_keys=True, default=str)


def group_cells(keys: Sequence[str]) -> List[List[int]]:
    """Indices grouped by equal :func:`share_key` (first appearance order); unshareable alone."""
    groups: Dict[str, List[int]] = {}
    out: List[List[int]] = []
    for i, k in enumerate(keys):
        if k.startswith("unshareable:"):
            out.append([i])
            continue
        if k not in groups:
            groups[k] = []
            out.append(groups[k])
        groups[k].append(i)
    return out


def shared_config(cfgs: Sequence[Any]):
    """One evaluation config for cells with equal :func:`share_key` (``cfgs[0]`` leads: its data,
    runtime and work dir). Returns a config whose model is ``ProxyCLIPSharedSegmentor`` and whose
    evaluator holds one ``ProxySegIoUMetric`` per cell (``prefix='cell<i>'``)."""
    from ..mmseg.shared import pred_key

    cfg = copy.deepcopy(cfgs[0])
    lead = _plain(cfg.model)
    cells = [dict(_plain(c.model)) for c in cfgs]
    cfg.model = dict(type="ProxyCLIPSharedSegmentor", data_preprocessor=lead.get("data_preprocessor"), cells=cells)
    evaluators = []
    for i, c in enumerate(cfgs):
        ev = dict(_plain(c.test_evaluator))
        if ev.get("type") == "IoUMetric":
            ev["type"] = "ProxySegIoUMetric"
        ev.update(pred_key=pred_key(i), prefix=f"cell{i}")
        evaluators.append(ev)
    cfg.test_evaluator = evaluators
    return cfg


def split_metrics(metrics: Dict[str, Any], n: int) -> List[Dict[str, Any]]:
    """``{'cell0/mIoU': .., 'cell1/mIoU': ..}`` -> ``[{'mIoU': ..}, {'mIoU': ..}]``."""
    out: List[Dict[str, Any]] = [{} for _ in range(n)]
    for key, value in metrics.items():
        prefix, _, name = key.partition("/")
        if prefix.startswith("cell") and prefix[4:].isdigit():
            out[int(prefix[4:])][name] = value
    return out
