#!/usr/bin/env python
"""Train an MMSeg model from a config with mmengine's Runner (MaskCLIP+ students on pseudo-labels).

    python tools/train.py configs/maskclip_plus/maskclip-plus_deeplabv3plus_r101_coco-stuff164k.py --amp
    python tools/train.py CONFIG --resume                  # continue from work_dir's last checkpoint
    python tools/train.py CONFIG --resume work_dirs/x/iter_4000.pth
    python tools/train.py CONFIG --test                    # evaluate (test_dataloader) after training
    torchrun --nproc_per_node 4 tools/train.py CONFIG --launcher pytorch

Checkpoints (``iter_N.pth``, ``last_checkpoint``) and logs (``<timestamp>/<timestamp>.log``,
``<timestamp>/vis_data/scalars.json``) go to ``--work-dir`` (default ``work_dirs/<config name>``);
``--test`` also writes ``results.{json,md}`` there as ``tools/test.py`` does.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from proxyseg.cli import REPO_ROOT, run_main, select_device  # noqa: E402
from proxyseg.errors import DatasetError, UsageError  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="train config file")
    p.add_argument("--work-dir", help="checkpoints and logs (default: work_dirs/<config name>)")
    p.add_argument("--resume", nargs="?", const="auto", default=None, metavar="CHECKPOINT",
                   help="resume training (optimizer, scheduler, iteration): from CHECKPOINT, or without a value "
                        "from the work dir's last checkpoint")
    p.add_argument("--amp", action="store_true", help="mixed precision (fp16 AmpOptimWrapper; needs a GPU)")
    p.add_argument("--cfg-options", nargs="+", default=[], metavar="KEY=VALUE",
                   help="override config entries, mmengine style: train_cfg.max_iters=1000 "
                        "train_dataloader.batch_size=8")
    p.add_argument("--data-root", help="dataset root (overrides data_root of the train/val/test datasets)")
    p.add_argument("--device", default="auto", help="cpu | cuda | cuda:N (default: cuda if available)")
    p.add_argument("--test", action="store_true", help="after training, evaluate on test_dataloader and write "
                                                       "results.{json,md} (same format as tools/test.py)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--deterministic", action="store_true", help="torch deterministic algorithms")
    p.add_argument("--no-check", action="store_true", help="skip the check that every training image has a label")
    p.add_argument("--launcher", choices=["none", "pytorch", "slurm", "mpi"], default="none")
    p.add_argument("--local_rank", "--local-rank", type=int, default=0)
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    return p.parse_args(argv)


def build_cfg(args, device: str):
    from proxyseg.mmseg.config import load_config

    cfg_path = Path(args.config)
    cfg = load_config(args.config, args.cfg_options)
    for key in ("train_dataloader", "train_cfg", "optim_wrapper"):
        if not cfg.get(key):
            raise UsageError(f"config {args.config} has no {key}: it is not a training config "
                             f"(training-free models are evaluated with tools/test.py)")
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or cfg.get("work_dir") or str(Path("work_dirs") / cfg_path.stem)
    cfg.randomness = dict(seed=args.seed, deterministic=args.deterministic)
    # unique per run: mmengine names its logger/visualizer instances after the experiment
    cfg.experiment_name = f"{cfg_path.stem}_{time.strftime('%Y%m%d_%H%M%S')}_{os.getpid()}_{time.monotonic_ns()}"
    if cfg.get("visualizer"):  # likewise the visualizer (else a 2nd run in-process logs into the 1st run's dir)
        cfg.visualizer.name = f"visualizer_{cfg.experiment_name}"
    if args.data_root:
        for key in ("train_dataloader", "val_dataloader", "test_dataloader"):
            if cfg.get(key) and cfg[key].get("dataset") is not None:
                cfg[key].dataset.data_root = args.data_root
    if args.amp:
        if not device.startswith("cuda"):
            raise UsageError("--amp needs a CUDA GPU (mmengine's AmpOptimWrapper); drop --amp on CPU")
        if cfg.optim_wrapper.get("type", "OptimWrapper") == "AmpOptimWrapper":
            print("AMP is already enabled in the config", file=sys.stderr)
        else:
            cfg.optim_wrapper.type = "AmpOptimWrapper"
            cfg.optim_wrapper.loss_scale = "dynamic"
    if args.resume == "auto":
        cfg.resume = True
        cfg.load_from = None
    elif args.resume:
        if not Path(args.resume).is_file():
            raise UsageError(f"--resume {args.resume}: no such checkpoint")
        cfg.resume = True
        cfg.load_from = args.resume
    elif cfg.get("load_from") and not Path(cfg.load_from).is_file():
        raise UsageError(f"load_from={cfg.load_from} not found (this config starts from a trained checkpoint: "
                         f"train the previous stage first, or pass --cfg-options load_from=PATH)")
    for key in ("val_evaluator", "test_evaluator"):
        ev = cfg.get(key)
        if ev and ev.get("type") == "IoUMetric":
            ev.type = "ProxySegIoUMetric"
    if device == "cpu" or os.environ.get("CUDA_VISIBLE_DEVICES") == "":
        cfg.env_cfg.dist_cfg = dict(backend="gloo")
    return cfg


def check_train_data(ds_cfg, teacher_config=None, data_root_arg=None) -> None:
    """Fail before building the model when training images or their (pseudo-)labels are missing."""
    from proxyseg.mmseg.datasets import check_dataset_cfg
    from proxyseg.mmseg.pseudo_labels import LIST_FILE

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


def write_results(runner, cfg, args, metrics: dict, seconds: float, device: str) -> dict:
    """``results.{json,md}`` in the run's log dir and the work dir, in tools/test.py's format."""
    from proxyseg import results as R

    evaluator = runner.test_evaluator.metrics[0]
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, "to_dict") else dict(cfg.model)
    bb, head = model_cfg.get("backbone") or {}, model_cfg.get("decode_head") or {}
    ds = cfg.test_dataloader.dataset
    res = dict(
        config=Path(args.config).stem, config_path=str(args.config),
        clip="-", vfm="-", method="maskclip+ student",
        student=f"{model_cfg.get('type')}: {bb.get('type')}-{bb.get('depth', '')} + {head.get('type')}",
        checkpoint=str(Path(runner.work_dir) / f"iter_{runner.iter}.pth"), iters=runner.iter,
        dataset=ds.get("type"), data_root=ds.get("data_root"),
        **{k: None if metrics.get(k) is None else round(float(metrics[k]), 2) for k in ("mIoU", "aAcc", "mAcc")},
        images=getattr(evaluator, "num_images", None), seconds=round(seconds, 2),
        num_classes=len(getattr(evaluator, "per_class", {}) or {}),
        per_class=getattr(evaluator, "per_class", None),
        seed=args.seed, deterministic=args.deterministic, device=device, world_size=runner.world_size,
        versions=R.package_versions(), git_commit=R.git_commit(REPO_ROOT),
        config_hash=R.text_hash(cfg.pretty_text), cfg_options=args.cfg_options, timestamp=runner.timestamp,
    )
    md = R.results_markdown(res)
    for d in (Path(runner.log_dir), Path(cfg.work_dir)):
        R.atomic_write_json(d / "results.json", res)
        R.atomic_write_text(d / "results.md", md)
    return res


def train(argv=None):
    """Parse ``argv``, train (and with ``--test`` evaluate); returns the finished ``Runner``."""
    args = parse_args(argv)
    device = select_device(args.device)
    cfg = build_cfg(args, device)
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    import proxyseg.mmseg  # noqa: F401  (registers models, datasets, metrics, hooks)
    import proxyseg.mmseg.pseudo_labels  # noqa: F401  (pseudo-label transforms)
    from proxyseg.results import check_writable

    init_default_scope("mmseg")
    if not args.no_check:
        check_train_data(cfg.train_dataloader.dataset, cfg.get("teacher_config"), args.data_root)
    if args.test and not cfg.get("test_dataloader"):
        raise UsageError(f"--test: config {args.config} has no test_dataloader")
    check_writable(cfg.work_dir)
    if device.startswith("cuda") and ":" in device:
        import torch

        torch.cuda.set_device(device)
    from proxyseg.mmseg.pseudo_labels import trusted_local_checkpoints

    runner = Runner.from_cfg(cfg)
    with trusted_local_checkpoints():  # resume / load_from of mmengine checkpoints under torch >= 2.6
        runner.train()
    runner.results = None
    if args.test:
        t0 = time.time()
        metrics = runner.test()
        if runner.rank == 0:
            runner.results = write_results(runner, cfg, args, metrics, time.time() - t0, device)
            res = runner.results
            print(f"\n{res['config']} (iter {res['iters']}): mIoU {res['mIoU']} | aAcc {res['aAcc']} | "
                  f"{res['images']} images\nresults: {Path(runner.log_dir) / 'results.json'}")
    return runner


def main(argv=None) -> int:
    train(argv)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
