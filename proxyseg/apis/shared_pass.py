"""Evaluate several cells in one pass over the data when they differ only after CLIP's trunk.

``evaluate_shared([dict(config=..., work_dir=..., cfg_options=[...]), ...])`` prepares every cell
exactly as :func:`proxyseg.apis.evaluation.evaluate` does, groups them by
:func:`proxyseg.sweep.shared.share_key` (plus device and weights folder), runs each group of two or
more as ONE mmengine evaluation with :class:`proxyseg.mmseg.shared.ProxyCLIPSharedSegmentor`
(per window: CLIP's trunk once, each VFM once, every cell's readout; one confusion matrix per
cell) and writes each cell's ``results.{json,md}`` into its own work dir. A group of one is a plain
``evaluate()``. Resumable like ``evaluate()``: each cell keeps its per-chunk counts in its own
``<work_dir>/resume`` and the pass restarts where all of them stopped.
"""
from __future__ import annotations

import copy
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from .evaluation import (TRAINING_FREE, build_test_cfg, check_class_count, check_dataset, evaluate,
                         place_model, preflight_split, quiet_console, write_results)
from .usage import check_model_keys, check_model_values, check_numbers, check_paths, load_light_config

_PASSABLE = ("config", "work_dir", "data_root", "checkpoint", "clip_checkpoint", "cfg_options", "limit", "device",
             "window_batch", "amp", "amp_clip", "seed", "deterministic", "show_dir", "show_n", "ignore_bad_labels",
             "launcher")


def _prepare(kw: Dict[str, Any]):
    from ..cli import resolve_device

    check_numbers(limit=kw.get("limit"), window_batch=kw.get("window_batch"), show_n=kw.get("show_n"))
    check_paths(kw["config"], kw.get("data_root"), kw.get("checkpoint"))
    cfg = load_light_config(kw["config"], kw.get("cfg_options") or ())
    check_model_keys(cfg.model)
    check_model_values(cfg.model)
    device = resolve_device(kw.get("device") or "auto")
    args = {k: v for k, v in kw.items() if k in _PASSABLE and k not in ("config", "device", "cfg_options")}
    cfg, weights_folder = build_test_cfg(cfg, config=kw["config"], device=device, **args)
    return cfg, weights_folder, device


def plan(cells: Sequence[Dict[str, Any]]) -> List[List[int]]:
    """Indices of ``cells`` grouped into passes (a list of one index: the cell runs alone)."""
    from ..sweep.shared import group_cells, share_key

    keys = []
    for kw in cells:
        try:
            cfg, weights_folder, device = _prepare(kw)
        except Exception:  # the cell's own evaluate() will report it
            keys.append(f"unshareable:{uuid.uuid4().hex}")
            continue
        if kw.get("show_dir") or kw.get("skip_bad") or cfg.get("launcher", "none") != "none":
            keys.append(f"unshareable:{uuid.uuid4().hex}")
            continue
        keys.append(f"{device}|{weights_folder}|{share_key(cfg)}")
    return group_cells([k if not k.split("|", 2)[-1].startswith("unshareable:") else "unshareable:" + k
                        for k in keys])


def evaluate_shared(cells: Sequence[Dict[str, Any]], *, verbose: bool = False, progress: bool = True,
                    resume: bool = True, say: Callable[[str], None] = print) -> List[Dict[str, Any]]:
    """Evaluate ``cells`` (``evaluate()`` keyword dicts), sharing passes where possible; returns
    each cell's results dict in order."""
    out: List[Optional[Dict[str, Any]]] = [None] * len(cells)
    for p, group in enumerate(plan(cells), 1):
        if len(group) == 1:
            kw = dict(cells[group[0]])
            out[group[0]] = evaluate(kw.pop("config"), verbose=verbose, progress=progress, resume=resume, **kw)
            continue
        names = ", ".join(Path(cells[i]["config"]).stem + _opts(cells[i]) for i in group)
        say(f"shared pass {p}: {len(group)} cells in one pass over the data ({names})")
        for i, res in zip(group, _run_pass([cells[i] for i in group], pass_id=p, verbose=verbose,
                                           progress=progress, resume=resume)):
            out[i] = res
    return out  # type: ignore[return-value]


def _opts(kw: Dict[str, Any]) -> str:
    return f" [{' '.join(kw['cfg_options'])}]" if kw.get("cfg_options") else ""


def _run_pass(cells: Sequence[Dict[str, Any]], *, pass_id: int, verbose: bool, progress: bool,
              resume: bool) -> List[Dict[str, Any]]:
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    import proxyseg.mmseg  # noqa: F401  (registers models, datasets, metrics, hooks)

    from ..mmseg import resume as R
    from ..models.preflight import check_weights
    from ..results import check_writable
    from ..sweep.shared import shared_config, split_metrics
    from ..weights import weights_dir
    from .run_key import run_key

    prepared = [_prepare(kw) for kw in cells]
    cfgs = [c for c, _, _ in prepared]
    weights_folder, device = prepared[0][1], prepared[0][2]
    init_default_scope("mmseg")
    for cfg in cfgs:
        check_dataset(cfg.test_dataloader.dataset)
        check_class_count(cfg)
        check_writable(cfg.work_dir)
        if cfg.model.get("type") == TRAINING_FREE:
            check_weights(cfg.model)
    preflight_split(cfgs[0], skip_bad=False, check_values=not cells[0].get("ignore_bad_labels"))
    keys = [run_key(cfg, weights_folder=weights_folder) for cfg in cfgs]
    start = 0
    if resume:
        done = [R.prepare(cfg.work_dir, key)[0] for cfg, key in zip(cfgs, keys)]
        if len(set(done)) > 1:  # the cells stopped at different images: count all of them again
            for cfg, key in zip(cfgs, keys):
                R.finish(cfg.work_dir)
                R.prepare(cfg.work_dir, key)
            done = [0] * len(cfgs)
        start = done[0]
        if start:
            print(f"resume: {start} image(s) already counted in every cell of the pass; continuing from there",
                  file=sys.stderr, flush=True)
        for cfg in cfgs:
            cfg.test_evaluator.resume_dir = str(R.state_dir(cfg.work_dir))
    cfg = shared_config(cfgs)
    if resume:
        cfg.test_dataloader.sampler = dict(type="SkipSampler", start=start)
    cfg.experiment_name = f"shared-pass_{time.strftime('%Y%m%d_%H%M%S')}_{uuid.uuid4().hex[:6]}"
    for hook in cfg.get("custom_hooks") or []:
        if hook.get("type") == "ProgressBarHook":
            hook["disable"] = not progress
    with weights_dir(weights_folder), quiet_console(verbose):
        runner = Runner.from_cfg(cfg)
        place_model(runner, device)
        t0 = time.time()
        metrics = runner.test()
        seconds = time.time() - t0
    labels = [Path(kw["config"]).stem + _opts(kw) for kw in cells]
    model = getattr(runner.model, "module", runner.model)
    results = []
    for i, (kw, cell_cfg, m) in enumerate(zip(cells, cfgs, split_metrics(metrics, len(cells)))):
        extra = dict(seed=kw.get("seed", 0), deterministic=bool(kw.get("deterministic")),
                     cfg_options=list(kw.get("cfg_options") or ()), run_key=keys[i],
                     shared_pass=dict(id=pass_id, cells=labels, index=i, seconds_for_all=round(seconds, 2)))
        res = write_results(runner, cell_cfg, kw["config"], m, seconds / len(cells), device, extra,
                            metric_index=i, out_dirs=[Path(cell_cfg.work_dir)], **model.describe_cell(i))
        results.append(res)
        if resume:
            R.finish(cell_cfg.work_dir)
    return results


def cells_from_argvs(argvs: Sequence[Sequence[str]]) -> List[Dict[str, Any]]:
    """``tools/test.py`` argument lists -> ``evaluate()`` keyword dicts (the sweep's cells)."""
    from .test_cli import build_parser

    out = []
    for argv in argvs:
        a = build_parser().parse_args(list(argv))
        out.append(dict(config=a.config, work_dir=a.work_dir, data_root=a.data_root, checkpoint=a.checkpoint,
                        clip_checkpoint=a.clip_checkpoint, cfg_options=list(a.cfg_options), limit=a.limit,
                        device=a.device, window_batch=a.window_batch, amp=a.amp, amp_clip=a.amp_clip, seed=a.seed,
                        deterministic=a.deterministic, show_dir=a.show_dir, show_n=a.show_n,
                        ignore_bad_labels=a.ignore_bad_labels, launcher=a.launcher, skip_bad=a.skip_bad))
    return copy.deepcopy(out)
