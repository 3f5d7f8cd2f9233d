"""The benchmark matrix as data: ten OVSS datasets x three CLIP backbones, upstream's protocol per
dataset and the published ProxyCLIP numbers (../shared/BENCHMARKS.md sections 1-2 in the workspace;
docs/protocols.md). ``tools/generate_configs.py`` writes ``configs/proxyclip/*`` from it and the
paper-table sweep specs (``configs/paper/*``) read their published numbers from it.

Numbers are mIoU (%). ``None`` means unknown to us: never fill one in without a source.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

__all__ = ["Dataset", "Backbone", "DATASETS", "BACKBONES", "PAPER_EIGHT", "PROXYCLIP_SOURCE",
           "SEED_EXPECTED", "config_name", "config_text", "expected_for", "paper_average"]

PROXYCLIP_SOURCE = "ProxyCLIP paper (ECCV 2024) main table, via Trident's README table"


@dataclass(frozen=True)
class Dataset:
    """One benchmark: config slug, dataset base, upstream's prob_thd and model overrides."""

    key: str            # short key used in tables (voc21, pc60, ...)
    slug: str           # config file suffix (proxyclip_..._<slug>.py)
    base: str           # configs/_base_/datasets/<base>.py
    title: str
    classes: int
    val_images: int
    prob_thd: float = 0.0
    model: Dict[str, object] = field(default_factory=dict)  # extra model overrides (slide crop)


@dataclass(frozen=True)
class Backbone:
    key: str            # b16 / l14 / h14
    name: str           # open_clip model name
    pretrained: str     # open_clip pretrained tag
    title: str


DATASETS: Tuple[Dataset, ...] = (
    Dataset("voc21", "voc21", "voc21", "Pascal VOC 21", 21, 1449, prob_thd=0.2),
    Dataset("pc60", "context60", "context60", "Pascal Context 60", 60, 5105, prob_thd=0.15),
    Dataset("object", "coco-object", "coco_object_paper", "COCO-Object", 81, 5000, prob_thd=0.25),
    Dataset("voc20", "voc20", "voc20", "Pascal VOC 20", 20, 1449),
    Dataset("pc59", "context59", "context59", "Pascal Context 59", 59, 5105),
    Dataset("stuff", "coco-stuff164k", "coco_stuff164k", "COCO-Stuff-164k", 171, 5000),
    Dataset("city", "cityscapes", "cityscapes", "Cityscapes", 19, 500, model=dict(slide_crop=224, slide_stride=112)),
    Dataset("ade", "ade20k", "ade20k", "ADE20K", 150, 2000),
    Dataset("pc459", "context459", "context459", "Pascal Context 459", 459, 5105),
    Dataset("ade847", "ade847", "ade847", "ADE20K-847", 847, 2000),
)
#: the eight benchmarks of ProxyCLIP's main table, in its column order (its average is over these)
PAPER_EIGHT: Tuple[str, ...] = ("voc21", "pc60", "object", "voc20", "pc59", "stuff", "city", "ade")

BACKBONES: Tuple[Backbone, ...] = (
    Backbone("b16", "ViT-B-16", "openai", "ViT-B/16 (OpenAI)"),
    Backbone("l14", "ViT-L-14", "openai", "ViT-L/14 (OpenAI)"),
    Backbone("h14", "ViT-H-14", "laion2b_s32b_b79k", "ViT-H/14 (LAION-2B)"),
)

#: published ProxyCLIP mIoU per backbone, dataset key (PAPER_EIGHT order). L/14: not known to us.
#: PC459 / ADE847: not in our sources (BENCHMARKS.md section 2), so absent.
_PUBLISHED: Dict[str, Optional[Tuple[float, ...]]] = {
    "b16": (61.3, 35.3, 37.5, 80.3, 39.1, 26.5, 38.1, 20.2),
    "l14": None,  # ProxyCLIP's ViT-L/14 row is unknown to us (BENCHMARKS.md): left blank, never guessed
    "h14": (65.0, 35.4, 38.6, 83.3, 39.6, 26.8, 42.0, 24.2),
}
#: the paper's own average of the eight (as printed), to check ours against
PUBLISHED_AVERAGE: Dict[str, Optional[float]] = {"b16": 42.3, "l14": None, "h14": 44.4}

#: the seed study's numbers (ViT-B/16) on the configs that should reproduce them
SEED_EXPECTED: Dict[str, Dict[str, object]] = {
    "proxyclip_vit-b16_dino-b8_coco-object": dict(mIoU=37.54, source="seed study, Tables 1 and 2"),
    "proxyclip_vit-b16_dino-b8_coco-stuff164k": dict(mIoU=26.53, source="seed study, Table 1"),
    "proxyclip_vit-b16_dino-b8_fa_coco-object": dict(mIoU=22.89, source="seed study, Table 1"),
    "proxyclip_vit-b16_dino-b16_coco-object": dict(mIoU=36.25, source="seed study, Table 2"),
    "maskclip_vit-b16_coco-stuff164k": dict(mIoU=12.51, source="seed study, Table 1"),
    "maskclip-plus_deeplabv3plus_r101_coco-stuff164k": dict(mIoU=15.16, source="seed study, Table 1"),
}
#: SAM ViT-B under ProxyCLIP on COCO-Object (seed Table 2): a sweep cell override, no config of its own
SEED_SAM_OBJECT = dict(mIoU=23.75, source="seed study, Table 2")


def dataset(key: str) -> Dataset:
    for d in DATASETS:
        if key in (d.key, d.slug):
            return d
    raise KeyError(f"unknown dataset {key!r}; known: {', '.join(d.key for d in DATASETS)}")


def config_name(backbone: str, ds: str) -> str:
    """``proxyclip_vit-<backbone>_dino-b8_<slug>`` (no ``.py``)."""
    return f"proxyclip_vit-{backbone}_dino-b8_{dataset(ds).slug}"


def expected_for(backbone: str, ds: str) -> Optional[Dict[str, object]]:
    """Published ProxyCLIP mIoU for a backbone and dataset, or ``None`` when unknown."""
    row = _PUBLISHED.get(backbone)
    key = dataset(ds).key
    if row is None or key not in PAPER_EIGHT:
        return None
    return dict(mIoU=row[PAPER_EIGHT.index(key)], source=PROXYCLIP_SOURCE)


def paper_average(values: List[Optional[float]]) -> Optional[float]:
    """Mean of the eight benchmarks as ProxyCLIP's table does: plain mean, ``None`` if any is missing."""
    if not values or any(v is None for v in values):
        return None
    return sum(values) / len(values)


def _fmt(value: Dict[str, object]) -> str:
    return "dict(" + ", ".join(f"{k}={v!r}" for k, v in value.items()) + ")"


def config_text(backbone: str, ds: str) -> str:
    """The text of ``configs/proxyclip/<config_name>.py`` (written by tools/generate_configs.py)."""
    d, b = dataset(ds), next(x for x in BACKBONES if x.key == backbone)
    model = dict(name_path="{{_base_.class_names}}", prob_thd=d.prob_thd, **d.model)
    parts = []
    for k, v in model.items():
        parts.append(f"{k}={v}" if k == "name_path" else f"{k}={v!r}")
    parts.append(f"clip=dict(name={b.name!r}, pretrained={b.pretrained!r})")
    parts.append("vfm=dict(type='dino', arch='b8')")
    name = config_name(backbone, ds)
    exp = expected_for(backbone, ds)
    lines = [
        "# Generated by tools/generate_configs.py from proxyseg/data/benchmarks.py: edit those, not this file.",
        f"# ProxyCLIP, CLIP {b.title} + DINO ViT-B/8, {d.title} ({d.classes} classes, prob_thd {d.prob_thd}),",
        "# upstream ProxyCLIP's protocol (docs/protocols.md).",
        "_base_ = [",
        "    '../_base_/models/proxyclip.py',",
        f"    '../_base_/datasets/{d.base}.py',",
        "    '../_base_/default_runtime.py',",
        "]",
        "model = dict(" + ", ".join(parts) + ")",
    ]
    if exp is not None:
        lines.append(f"expected = {_fmt(exp)}")
    else:
        lines.append("expected = None  # no published number known to us (never guessed)")
    if name in SEED_EXPECTED:
        lines.append(f"expected_seed = {_fmt(SEED_EXPECTED[name])}")
    return "\n".join(lines) + "\n"
