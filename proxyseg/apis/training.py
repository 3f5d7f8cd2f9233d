"""Train an MMSeg model from a config with mmengine's Runner (MaskCLIP+ students): the whole of
``tools/train.py`` as one function.

Call graph::

    train(config, ...)
      usage checks (no torch/mmseg yet)      proxyseg.apis.usage
      build_train_cfg()                      work dir, seed, data root, amp, resume, metric swap
      check_train_data()                     images and (pseudo-)labels exist, before any model
      with quiet_console(): Runner.from_cfg(cfg); model.to(device); runner.train() [; runner.test()]
      write_results()                        with ``test=True``: results.{json,md} as evaluate() writes
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Optional, Sequence

from ..errors import DatasetError, UsageError
from .evaluation import place_model, quiet_console, write_results
from .usage import REPO_ROOT, check_paths, load_light_config


def train(config: str, *, work_dir: Optional[str] = None, data_root: Optional[str] = None,
          cfg_options: Sequence[str] = (), resume: Optional[str] = None, amp: bool = False,
          checkpoint: Optional[str] = None, device: str = "auto",
          test: bool = False, seed: int = 0, deterministic: bool = False, check_data: bool = True,
          launcher: str = "none", verbose: bool = False):
    """Train ``config``; returns the finished mmengine ``Runner`` (``runner.results``: the results
    dict of the ``test=True`` evaluation, else ``None``).

    Args:
        resume: ``'auto'`` (the work dir's last checkpoint) or a checkpoint path; ``None``: start fresh.
        checkpoint: a weights folder searched first (scoped to this call) or a ``.pth`` to start from.
        amp: fp16 ``AmpOptimWrapper`` (needs a GPU). device: ``auto`` | ``cpu`` | ``cuda`` | ``cuda:N``.
    """
    check_paths(config, data_root, checkpoint)
    cfg = load_light_config(config, cfg_options)
    folder = Path(checkpoint).expanduser() if checkpoint and Path(checkpoint).expanduser().is_dir() else None
    if checkpoint and folder is None:
        cfg.load_from = str(Path(checkpoint).expanduser())
    from ..cli import resolve_device

    device = resolve_device(device)
    cfg = build_train_cfg(cfg, config=config, work_dir=work_dir, data_root=data_root, resume=resume, amp=amp,
                          device=device, seed=seed, deterministic=deterministic, launcher=launcher)
    from mmengine.registry import init_default_scope

    import proxyseg.mmseg  # noqa: F401  (registers models, datasets, metrics, hooks)
    import proxyseg.mmseg.pseudo_labels  # noqa: F401  (pseudo-label transforms)

    from ..results import check_writable

    init_default_scope("mmseg")
    if check_data:
        check_train_data(cfg.train_dataloader.dataset, cfg.get("teacher_config"), data_root)
    if test and not cfg.get("test_dataloader"):
        raise UsageError(f"--test: config {config} has no test_dataloader")
    check_writable(cfg.work_dir)
    from mmengine.runner import Runner

    from ..mmseg.pseudo_labels import trusted_local_checkpoints

    from ..weights import weights_dir

    with weights_dir(folder), quiet_console(verbose):
        runner = Runner.from_cfg(cfg)
        place_model(runner, device)
        with trusted_local_checkpoints():  # resume / load_from of mmengine checkpoints under torch >= 2.6
            runner.train()
        runner.results = None
        if test:
            t0 = time.time()
            metrics = runner.test()
            seconds = time.time() - t0
    if test and runner.rank == 0:
        runner.results = write_results(
            runner, cfg, config, metrics, seconds, device,
            dict(seed=seed, deterministic=deterministic, cfg_options=list(cfg_options)),
            method="maskclip+ student", iters=runner.iter,
            checkpoint=str(Path(runner.work_dir) / f"iter_{runner.iter}.pth"))
    return runner


def build_train_cfg(cfg, *, config: str, work_dir=None, data_root=None, resume=None, amp=False, device="cpu",
                    seed=0, deterministic=False, launcher="none"):
    """The training config: work dir, seed, data root, AMP, resume, our IoU metric."""
    for key in ("train_dataloader", "train_cfg", "optim_wrapper"):
        if not cfg.get(key):
            raise UsageError(f"config {config} has no {key}: it is not a training config "
                             f"(training-free models are evaluated with tools/test.py)")
    cfg_path = Path(config)
    cfg.launcher = launcher
    cfg.work_dir = str(work_dir or cfg.get("work_dir") or Path("work_dirs") / cfg_path.stem)
    cfg.randomness = dict(seed=seed, deterministic=deterministic)
    # unique per run: mmengine names its logger/visualizer instances after the experiment
    cfg.experiment_name = f"{cfg_path.stem}_{time.strftime('%Y%m%d_%H%M%S')}_{os.getpid()}_{time.monotonic_ns()}"
    if cfg.get("visualizer"):  # likewise the visualizer (else a 2nd run in-process logs into the 1st run's dir)
        cfg.visualizer.name = f"visualizer_{cfg.experiment_name}"
    if data_root:
        for key in ("train_dataloader", "val_dataloader", "test_dataloader"):
            if cfg.get(key) and cfg[key].get("dataset") is not None:
                cfg[key].dataset.data_root = str(data_root)
    if amp:
        if not device.startswith("cuda"):
            raise UsageError("--amp needs a CUDA GPU (mmengine's AmpOptimWrapper); drop --amp on CPU")
        if cfg.optim_wrapper.get("type", "OptimWrapper") != "AmpOptimWrapper":
            cfg.optim_wrapper.type = "AmpOptimWrapper"
            cfg.optim_wrapper.loss_scale = "dynamic"
    if resume == "auto":
        cfg.resume, cfg.load_from = True, None
    elif resume:
        if not Path(resume).is_file():
            raise UsageError(f"--resume {resume}: no such checkpoint")
        cfg.resume, cfg.load_from = True, resume
    elif cfg.get("load_from") and not Path(cfg.load_from).is_file():
        raise UsageError(f"load_from={cfg.load_from} not found (this config starts from a trained checkpoint: "
                         f"train the previous stage first, or pass --cfg-options load_from=PATH)")
    for key in ("val_evaluator", "test_evaluator"):
        ev = cfg.get(key)
        if ev and ev.get("type") == "IoUMetric":
            ev.type = "ProxySegIoUMetric"
    if device == "cpu":
        cfg.env_cfg.dist_cfg = dict(backend="gloo")
    return cfg


def check_train_data(ds_cfg, teacher_config=None, data_root_arg=None) -> None:
    """Fail before building the model when training images or their (pseudo-)labels are missing."""
    from ..mmseg.datasets import check_dataset_cfg
    from ..mmseg.pseudo_labels import LIST_FILE

    ds_cfg = ds_cfg.to_dict() if hasattr(ds_cfg, "to_dict") else dict(ds_cfg)
    if "data_root" not in ds_cfg:
        return
    root = ds_cfg["data_root"]
    if not Path(root).exists() and (REPO_ROOT / root).exists():
        ds_cfg["data_root"] = root = str(REPO_ROOT / root)
    ann = ds_cfg.get("ann_file")
    run = f"tools/make_pseudo_labels.py {teacher_config or '<teacher config>'}" + (
        f" --data-root {data_root_arg}" if data_root_arg else "")
    if ann and Path(ann).name == LIST_FILE:
        listed = Path(ann) if Path(ann).is_absolute() else Path(root) / ann
        if not listed.is_file():
            raise DatasetError(f"no pseudo-labels at {listed.parent} ({listed.name} missing): run {run} first "
                               f"(see docs/maskclip_plus.md)")
    try:
        check_dataset_cfg(ds_cfg, REPO_ROOT)
    except DatasetError as e:
        if ann and Path(ann).name == LIST_FILE:
            raise DatasetError(f"{e} -- these are pseudo-labels: rerun {run} (it resumes)") from None
        raise
