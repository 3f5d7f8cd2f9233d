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

import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from .evaluation import (TRAINING_FREE, check_class_count, check_dataset, evaluate, place_model, preflight_split,
                         prepare_test_cfg, quiet_console, write_results)

_NOT_CFG = ("config", "skip_bad")  # evaluate() keywords that build_test_cfg does not take


def _prepare(kw: Dict[str, Any]):
    """``(cfg, weights folder, device)`` of one cell, exactly as ``evaluate()`` prepares it."""
    return prepare_test_cfg(kw["config"], **{k: v for k, v in kw.items() if k not in _NOT_CFG})


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
        key = share_key(cfg)  # an unshareable key stays one: group_cells keeps such cells alone
        keys.append(key if key.startswith("unshareable:") else f"{device}|{weights_folder}|{key}")
    return group_cells(keys)


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
    from .test_cli import build_parser, evaluate_kwargs

    return [evaluate_kwargs(build_parser().parse_args(list(argv))) for argv in argvs]
