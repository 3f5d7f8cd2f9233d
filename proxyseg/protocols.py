"""Evaluation protocols of every method, as data: the one place they are written down.

Two protocols per method and dataset:

- ``paper``: what the method's own repository runs (its configs), so that its published number
  can be reproduced. Sources: ../shared/BENCHMARKS.md section 3 and each repository's configs.
- ``shared``: one protocol for all methods, for a fair comparison: upstream ProxyCLIP's
  (slide 336/112, Cityscapes 224/112; the dataset base's short side; 80 templates; the project's
  class files; ProxyCLIP's ``prob_thd``; PAMR off; no ``area_thd``), with each method's own
  logit scale where the method defines one (``Method.protocol['logit_scale']``), else 40.

:func:`protocol` resolves one (method, dataset, protocol) to the model keys and short side;
``tools/generate_method_configs.py`` writes ``configs/methods/`` from it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

from .errors import ConfigError

PROTOCOLS = ("paper", "shared")


@dataclass(frozen=True)
class Benchmark:
    """A dataset base in ``configs/_base_/datasets`` and its column in the published tables."""

    base: str  # file stem of configs/_base_/datasets/<base>.py
    tag: str  # config file name part
    column: str  # BENCHMARKS.md section 2 column
    short_side: int  # the base's Resize short side
    class_file: str  # the base's class file stem (configs/_base_/class_names/<class_file>.txt)


BENCHMARKS: Dict[str, Benchmark] = {b.base: b for b in (
    Benchmark("voc21", "voc21", "VOC21", 336, "voc21"),
    Benchmark("context60", "context60", "PC60", 336, "context60"),
    Benchmark("coco_object", "coco-object", "Obj", 336, "coco_object"),
    Benchmark("voc20", "voc20", "VOC20", 336, "voc20"),
    Benchmark("context59", "context59", "PC59", 336, "context59"),
    Benchmark("coco_stuff164k", "coco-stuff164k", "Stuff", 336, "coco_stuff"),
    Benchmark("cityscapes", "cityscapes", "City", 448, "cityscapes"),
    Benchmark("ade20k", "ade20k", "ADE", 448, "ade20k"),
)}

# ---- shared protocol (upstream ProxyCLIP's, mc-lan/ProxyCLIP:configs/cfg_*.py) ---------------
SHARED_DATASET: Dict[str, Dict[str, Any]] = {
    "voc21": dict(prob_thd=0.2), "context60": dict(prob_thd=0.15), "coco_object": dict(prob_thd=0.25),
    "voc20": {}, "context59": {}, "coco_stuff164k": {},
    "cityscapes": dict(slide_crop=224, slide_stride=112), "ade20k": {},
}
SHARED_DEFAULT = dict(slide_crop=336, slide_stride=112, prob_thd=0.0, logit_scale=40.0)

# ---- each method's model (VFMs) --------------------------------------------------------------
MODELS: Dict[str, Dict[str, Any]] = {
    "clip": dict(vfm=None),
    "maskclip": dict(vfm=None),
    "proxyclip": dict(vfm=dict(type="dino", arch="b8")),
    "sclip": dict(vfm=None),
    "clearclip": dict(vfm=None),
    "naclip": dict(vfm=None),
    "trident": dict(vfm=dict(type="dino", arch="b16"), guide_vfm=dict(type="sam", arch="b")),
}

# ---- paper protocols: default + per-dataset overrides -----------------------------------------
# keys: model keys (logit_scale, prob_thd, slide_crop, slide_stride, area_thd, method params under
# 'method'), 'short_side', 'postprocess' (PAMR), 'class_file' (a class file other than the base's)
_CLIP_LIKE = dict(  # CLIP / MaskCLIP: upstream ProxyCLIP's protocol with its "CLIP" prob_thd comments
    default=dict(slide_crop=336, slide_stride=112, logit_scale=40.0, prob_thd=0.0),
    voc21=dict(prob_thd=0.1), context60=dict(prob_thd=0.05), coco_object=dict(prob_thd=0.1),
    cityscapes=dict(slide_crop=224, slide_stride=112),
    source="upstream ProxyCLIP's protocol; prob_thd from the 'CLIP' comments of "
           "YuHengsss/Trident:configs/cfg_{voc21,context60,coco_object}.py",
)
PAPER: Dict[str, Dict[str, Any]] = {
    "clip": _CLIP_LIKE,
    "maskclip": _CLIP_LIKE,
    "proxyclip": dict(default=dict(SHARED_DEFAULT), **{k: dict(v) for k, v in SHARED_DATASET.items()},
                      source="mc-lan/ProxyCLIP:configs/cfg_*.py"),
    "sclip": dict(
        default=dict(slide_crop=224, slide_stride=112, logit_scale=50.0, prob_thd=0.0, short_side=336),
        voc21=dict(logit_scale=65.0, prob_thd=0.1, area_thd=0.1), context60=dict(prob_thd=0.1),
        coco_object=dict(prob_thd=0.1), coco_stuff164k=dict(short_side=448), cityscapes=dict(short_side=560),
        source="wangf3014/SCLIP:configs/cfg_*.py, clip_segmentor.py",
    ),
    "clearclip": dict(
        default=dict(slide_crop=448, slide_stride=224, logit_scale=50.0, prob_thd=0.0, short_side=448),
        voc21=dict(prob_thd=0.5, class_file="clearclip/voc21"), context60=dict(prob_thd=0.15),
        coco_object=dict(prob_thd=0.4, class_file="clearclip/coco_object"),
        source="mc-lan/ClearCLIP:configs/cfg_*.py",
    ),
    "naclip": dict(
        default=dict(slide_crop=224, slide_stride=112, logit_scale=40.0, prob_thd=0.0, short_side=336,
                     postprocess=dict(type="pamr")),
        voc21=dict(slide_crop=None, prob_thd=0.1), voc20=dict(slide_crop=None), context60=dict(prob_thd=0.1),
        coco_object=dict(prob_thd=0.1), cityscapes=dict(short_side=560),
        source="sinahmr/NACLIP:configs/cfg_*.py, naclip.py",
    ),
    "trident": dict(
        default=dict(slide_crop=336, slide_stride=224, logit_scale=40.0, prob_thd=0.0),
        voc21=dict(short_side=448, prob_thd=0.2), context60=dict(short_side=576, prob_thd=0.15),
        coco_object=dict(short_side=448, prob_thd=0.25), voc20=dict(short_side=336, slide_stride=112,
                                                                    method=dict(cos_fac=0.0)),
        context59=dict(short_side=576), coco_stuff164k=dict(short_side=448),
        cityscapes=dict(short_side=688, method=dict(cos_fac=3.0, refine_neg_cos=False, sam_split=2)),
        ade20k=dict(short_side=576, method=dict(refine_neg_cos=False)),
        source="YuHengsss/Trident:configs/base_config.py, cfg_*.py (no SAM refinement)",
    ),
}

# ---- published numbers (../shared/BENCHMARKS.md section 2), per method and protocol ----------
_COLS = ("VOC21", "PC60", "Obj", "VOC20", "PC59", "Stuff", "City", "ADE")


def _row(values, source: str) -> Dict[str, Any]:
    return dict(zip(_COLS, values), source=source)


PUBLISHED: Dict[str, Dict[str, Any]] = {
    "clip": _row((16.4, 8.4, 5.6, 41.9, 9.2, 4.4, 5.0, 2.9), "YuHengsss/Trident README table (CLIP B/16)"),
    "maskclip": _row((43.4, 23.2, 20.6, 74.9, 26.4, 16.7, 24.9, 11.9),
                     "YuHengsss/Trident README table (MaskCLIP B/16)"),
    "proxyclip": _row((61.3, 35.3, 37.5, 80.3, 39.1, 26.5, 38.1, 20.2),
                      "ProxyCLIP paper via YuHengsss/Trident README table (B/16, DINO B/8)"),
    "sclip": _row((59.63, 31.74, 33.52, 81.54, 34.46, 22.77, 32.34, 16.45),
                  "wangf3014/SCLIP:README.md (B/16, no PAMR)"),
    "clearclip": _row((51.8, 32.6, 33.0, 80.9, 35.9, 23.9, 30.0, 16.7), "mc-lan/ClearCLIP README (B/16)"),
    "naclip": _row((64.07, 34.99, 36.19, 83.03, 38.35, 25.69, 38.27, 19.05),
                   "sinahmr/NACLIP:README.md (B/16, PAMR)"),
    "naclip_no_pamr": _row((58.9, 32.2, 33.2, 79.7, 35.2, 23.3, 35.5, 17.4),
                           "YuHengsss/Trident README table (NACLIP B/16, no PAMR)"),
    "trident": _row((67.1, 38.6, 41.1, 84.5, 42.2, 28.3, 42.9, 21.9),
                    "YuHengsss/Trident README (B/16, with SAM refinement, which proxyseg does not implement)"),
}
# under the shared protocol the nearest published number (same method, PAMR off where that exists)
SHARED_PUBLISHED = dict(naclip="naclip_no_pamr")

METHODS = tuple(PAPER)


def protocol(method: str, dataset: str, kind: str) -> Dict[str, Any]:
    """Resolve one protocol: ``dict(model=..., short_side=..., class_file=..., source=...)``.

    ``model`` holds the model-config keys (``method``, ``vfm``, ``logit_scale``, ``prob_thd``,
    ``slide_crop``, ``slide_stride``, optional ``area_thd``, ``postprocess``, ``guide_vfm``).
    """
    from .methods import METHODS as REGISTRY, build_method, method_names

    method_names()  # registers the built-in methods
    if method not in PAPER:
        raise ConfigError(f"no protocol for method {method!r}; known: {', '.join(PAPER)}")
    if dataset not in BENCHMARKS:
        raise ConfigError(f"no benchmark {dataset!r}; known: {', '.join(BENCHMARKS)}")
    if kind not in PROTOCOLS:
        raise ConfigError(f"protocol must be one of {PROTOCOLS}, got {kind!r}")
    bench = BENCHMARKS[dataset]
    if kind == "paper":
        table = PAPER[method]
        vals = {**table["default"], **table.get(dataset, {})}
        source = table["source"]
    else:
        vals = {**SHARED_DEFAULT, **SHARED_DATASET[dataset]}
        cls = REGISTRY.get(method)
        if cls is None:  # a method registered on another branch: the table's paper default
            scale = PAPER[method]["default"].get("logit_scale")
        else:
            scale = cls.protocol.get("logit_scale")
        if scale is not None:
            vals["logit_scale"] = float(scale)
        source = "shared (upstream ProxyCLIP's protocol, the method's own logit scale)"
    short_side = vals.pop("short_side", bench.short_side)
    class_file = vals.pop("class_file", None)
    method_params = vals.pop("method", {})
    model = dict(method=dict(type=method, **method_params), **MODELS[method], **vals)
    if method in REGISTRY:
        build_method(model["method"])  # the parameters exist (a clear error otherwise)
    return dict(model=model, short_side=short_side, class_file=class_file, source=source)


def published(method: str, dataset: str, kind: str) -> Optional[Dict[str, Any]]:
    """``dict(mIoU=..., source=...)`` for a config's ``expected``, or ``None`` where unknown."""
    key = SHARED_PUBLISHED.get(method, method) if kind == "shared" else method
    row = PUBLISHED.get(key)
    value = row.get(BENCHMARKS[dataset].column) if row else None
    if value is None:
        return None
    src = row["source"] + ("" if kind == "paper" else "; measured under its paper's protocol")
    return dict(mIoU=value, source=src)
