"""Retarget any experiment config to tiny random models and the synthetic twins (CI, smoke runs).

``smoke_config(config, synthetic_root)`` keeps what the experiment evaluates (dataset class,
pipeline, class file, method, prob_thd, beta/gamma, the VFM type) and swaps in:

- the tiny random CLIP of ``configs/_base_/models/tiny_random.py`` and a tiny VFM of the same type
  (``configs/smoke/proxyclip_tiny_<type>_smoke-coco-object.py``; DINO if there is none);
  a segmentor that is not ProxyCLIP's (a trained MaskCLIP+ student) becomes the tiny MaskCLIP and
  its ``load_from`` is dropped;
- ``data_root`` ``data/<path>`` -> ``<synthetic_root>/<path>`` (the layout of
  ``tools/make_synthetic_data.py --dataset ...``), short side 64, no workers.

Used by ``tools/sweep.py --synthetic DIR`` and the tests. Numbers from it mean nothing.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Sequence, Union

from ..cli import REPO_ROOT
from .config import load_config

__all__ = ["smoke_config", "synthetic_data_root", "write_smoke_config"]

PathLike = Union[str, Path]
SMOKE_SIDE = 64
_KEEP = ("method", "name_path", "prob_thd", "beta", "gamma", "logit_scale", "feature_adjust")


def synthetic_data_root(data_root: str, synthetic_root: PathLike) -> str:
    """``data/VOCdevkit/VOC2012`` -> ``<synthetic_root>/VOCdevkit/VOC2012``."""
    rel = Path(data_root)
    if rel.parts and rel.parts[0] == "data":
        rel = Path(*rel.parts[1:])
    if rel.parts and rel.parts[0] == "synthetic":
        rel = Path(*rel.parts[1:])
    return str(Path(synthetic_root) / rel)


def _tiny_vfm(vfm_type: str) -> dict:
    smoke = REPO_ROOT / "configs" / "smoke" / f"proxyclip_tiny_{vfm_type}_smoke-coco-object.py"
    if not smoke.is_file():
        smoke = REPO_ROOT / "configs" / "smoke" / "proxyclip_tiny_dino_smoke-coco-object.py"
    return copy.deepcopy(load_config(str(smoke)).model.vfm.to_dict())


def _resize(pipeline: Sequence[Any]) -> None:
    for t in pipeline:
        if t.get("type") in ("Resize", "RandomResize") and "scale" in t:
            t["scale"] = (2048, SMOKE_SIDE)


def smoke_config(config: PathLike, synthetic_root: PathLike, cfg_options: Sequence[str] = ()):
    """The mmengine ``Config`` of ``config`` (with ``cfg_options`` applied) on tiny models and synthetic data."""
    cfg = load_config(str(config), cfg_options)
    tiny = load_config(str(REPO_ROOT / "configs" / "_base_" / "models" / "tiny_random.py")).model.to_dict()
    model = cfg.model.to_dict()
    if model.get("type") == tiny["type"]:
        kept = {k: model[k] for k in _KEEP if k in model}
        vfm = model.get("vfm")
        tiny["vfm"] = _tiny_vfm(vfm["type"]) if vfm else None
        if vfm and tiny["vfm"]["type"] == vfm["type"] and vfm.get("arch"):
            tiny["vfm"]["arch"] = vfm["arch"]  # e.g. DINO B/16 vs B/8: the patch size is kept
    else:  # e.g. a trained MaskCLIP+ student: the tiny MaskCLIP stands in
        kept = dict(method="maskclip", name_path=model.get("name_path") or cfg.get("class_names"))
        tiny["vfm"] = None
        cfg.load_from = None
    tiny.update(kept)
    if not tiny.get("name_path"):
        tiny["name_path"] = cfg.get("class_names")
    cfg.model = tiny
    for key in ("test_dataloader", "val_dataloader"):
        loader = cfg.get(key)
        if not loader:
            continue
        loader.num_workers = 0
        loader.persistent_workers = False
        ds = loader.dataset
        ds.data_root = synthetic_data_root(ds.data_root, synthetic_root)
        _resize(ds.get("pipeline", []))
    for key in ("train_dataloader", "train_cfg", "optim_wrapper", "param_scheduler", "val_cfg"):
        if key in cfg and key != "val_cfg":
            cfg.pop(key)
    return cfg


def write_smoke_config(config: PathLike, synthetic_root: PathLike, out: PathLike,
                       cfg_options: Sequence[str] = ()) -> Path:
    """:func:`smoke_config` dumped to ``out`` (a ``.py`` file that tools/test.py can run)."""
    cfg = smoke_config(config, synthetic_root, cfg_options)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cfg.dump(str(out))
    return out
