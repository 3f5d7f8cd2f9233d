#!/usr/bin/env python
"""Evaluate a config with mmengine's Runner (MMSeg datasets, transforms, IoUMetric).

    python tools/test.py configs/proxyclip/proxyclip_vit-b16_dino-b8_coco-object.py
    python tools/test.py CONFIG --cfg-options model.vfm.arch=b16 --show-dir vis --show-n 5

Writes ``<work_dir>/<timestamp>/results.{json,md}`` (and a copy of both in ``<work_dir>``).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from proxyseg.cli import REPO_ROOT, run_main, select_device  # noqa: E402
from proxyseg.errors import UsageError  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="config file")
    p.add_argument("--work-dir", help="where results/logs go (default: work_dirs/<config name>)")
    p.add_argument("--cfg-options", nargs="+", default=[], metavar="KEY=VALUE",
                   help="override config entries, mmengine style: model.vfm.arch=b16 model.prob_thd=0.1")
    p.add_argument("--data-root", help="dataset root (overrides the config's data_root)")
    p.add_argument("--checkpoint", help="weights directory searched for every model, or a VFM weight file; for a "
                                        "trained MMSeg model (e.g. a MaskCLIP+ student) its .pth checkpoint")
    p.add_argument("--clip-checkpoint", help="CLIP weight file")
    p.add_argument("--show-dir", help="save overlays (prediction | ground truth) here, under the run's folder")
    p.add_argument("--show-n", type=int, default=None, help="with --show-dir: overlays for the first N images only")
    p.add_argument("--device", default="auto", help="cpu | cuda | cuda:N (default: cuda if available)")
    p.add_argument("--window-batch", type=int, help="windows per forward (model.window_batch)")
    p.add_argument("--amp", choices=["bf16", "fp16"], help="autocast the VFM in this dtype (model.amp)")
    p.add_argument("--amp-clip", action="store_true", help="with --amp: autocast CLIP too (faster, moves more argmax)")
    p.add_argument("--seed", type=int, default=0, help="random seed (recorded in results.json)")
    p.add_argument("--deterministic", action="store_true", help="torch deterministic algorithms")
    p.add_argument("--ignore-bad-labels", action="store_true",
                   help="count label values outside the class range as ignored (default: error naming the file)")
    p.add_argument("--limit", type=int, help="evaluate only the first N images (quick checks)")
    p.add_argument("--launcher", choices=["none", "pytorch", "slurm", "mpi"], default="none")
    p.add_argument("--local_rank", "--local-rank", type=int, default=0)
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    args = p.parse_args(argv)
    if args.show_n is not None and args.show_n < 0:
        p.error("--show-n must be >= 0")
    if args.window_batch is not None and args.window_batch < 1:
        p.error("--window-batch must be >= 1")
    return args


def build_cfg(args):
    from proxyseg.mmseg.config import load_config, resolve_repo_path

    cfg_path = Path(args.config)
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    # unique per run: mmengine keys its logger/visualizer singletons by the experiment name
    cfg.experiment_name = f"{cfg_path.stem}_{time.strftime('%Y%m%d_%H%M%S')}_{uuid.uuid4().hex[:6]}"
    cfg.work_dir = args.work_dir or str(Path("work_dirs") / cfg_path.stem)
    cfg.randomness = dict(seed=args.seed, deterministic=args.deterministic)
    m = cfg.model
    trained = m.get("type") != "ProxyCLIPSegmentor"  # an ordinary MMSeg segmentor (MaskCLIP+ student)
    if trained:
        for flag in ("window_batch", "amp", "amp_clip", "clip_checkpoint"):
            if getattr(args, flag):
                raise UsageError(f"--{flag.replace('_', '-')} applies to proxyseg's training-free models, "
                                 f"not to {m.get('type')}")
        if args.checkpoint:
            ck = Path(args.checkpoint).expanduser()
            if not ck.is_file():
                raise UsageError(f"--checkpoint {args.checkpoint}: no such file (the .pth that tools/train.py wrote)")
            cfg.load_from = str(ck)
        if not cfg.get("load_from"):
            raise UsageError(f"{cfg_path.name} is a trained {m.get('type')}: pass --checkpoint "
                             f"work_dirs/{cfg_path.stem}/iter_N.pth (written by tools/train.py)")
        cfg.resume = False
    elif args.window_batch:
        m.window_batch = args.window_batch
    if args.amp:
        m.amp = args.amp
    if args.amp_clip:
        if not m.get("amp"):
            raise UsageError("--amp-clip needs --amp bf16|fp16")
        m.amp_clip = True
    if args.clip_checkpoint:
        m.clip.checkpoint = args.clip_checkpoint
    if args.checkpoint and not trained:
        ck = Path(args.checkpoint).expanduser()
        if ck.is_dir():
            os.environ["PROXYSEG_WEIGHTS"] = str(ck)
        elif not ck.is_file():
            raise UsageError(f"--checkpoint {args.checkpoint}: no such file or directory")
        elif m.get("vfm") and m.get("method", "proxyclip") == "proxyclip":
            m.vfm.checkpoint = str(ck)
        else:
            raise UsageError(f"--checkpoint {args.checkpoint} is a file, but method {m.get('method')!r} uses no VFM "
                             f"to load it into: pass CLIP weights with --clip-checkpoint, or a weights folder")
    resolve_repo_path(m, "name_path")
    loader = cfg.test_dataloader
    if args.data_root:
        loader.dataset.data_root = args.data_root
    if args.limit:
        loader.dataset.indices = args.limit
    if cfg.get("test_evaluator", {}).get("type") == "IoUMetric":
        cfg.test_evaluator.type = "ProxySegIoUMetric"
    if args.ignore_bad_labels and cfg.get("test_evaluator", {}).get("type") == "ProxySegIoUMetric":
        cfg.test_evaluator.out_of_range = "ignore"
    if args.show_dir:
        cfg.default_hooks.visualization = dict(type="LimitedSegVisualizationHook", draw=True, interval=1,
                                               max_images=args.show_n)
        show = Path(args.show_dir)
        cfg.visualizer.save_dir = str(show if show.is_absolute() else Path(cfg.work_dir) / show)
    cfg.visualizer.pop("name", None)  # unique per run (the experiment name), not a process-wide singleton
    if args.device.startswith("cpu") or os.environ.get("CUDA_VISIBLE_DEVICES") == "":
        cfg.env_cfg.dist_cfg = dict(backend="gloo")
    for key in ("train_dataloader", "val_dataloader", "train_cfg", "val_cfg", "val_evaluator", "optim_wrapper",
                "param_scheduler"):
        cfg.pop(key, None)  # evaluation only: keep Runner from building training parts
    return cfg


def check_dataset(ds_cfg) -> None:
    """Fail fast (before building models) on a missing or malformed data root."""
    from proxyseg.mmseg.datasets import check_dataset_cfg

    if "data_root" not in ds_cfg:
        return
    if not Path(ds_cfg["data_root"]).exists() and (REPO_ROOT / ds_cfg["data_root"]).exists():
        ds_cfg["data_root"] = str(REPO_ROOT / ds_cfg["data_root"])
    check_dataset_cfg(ds_cfg, repo_root=REPO_ROOT)


def check_class_count(cfg) -> None:
    """The class file must have as many classes as the dataset (else IoU is silently wrong)."""
    from mmseg.registry import DATASETS

    from proxyseg.errors import ClassNamesError
    from proxyseg.text import load_class_names

    ds = cfg.test_dataloader.dataset
    meta = (ds.get("metainfo") or {}).get("classes")
    cls = DATASETS.get(ds["type"])
    if meta is None and cls is not None:
        meta = getattr(cls, "METAINFO", {}).get("classes")
    if cfg.model.get("type") != "ProxyCLIPSegmentor":  # a trained model: its head's output classes
        n_head = (cfg.model.get("decode_head") or {}).get("num_classes")
        if meta is not None and n_head is not None and n_head != len(meta):
            raise UsageError(f"model.decode_head.num_classes={n_head} but dataset {ds['type']} has {len(meta)} "
                             f"classes: evaluate the model on the dataset it was trained for")
        return
    name_path = cfg.model.get("name_path")
    if not name_path:
        raise UsageError("model.name_path (the class file) is not set in the config")
    n_file = len(load_class_names(name_path))
    if meta is not None and len(meta) != n_file:
        raise ClassNamesError(f"class file {name_path} has {n_file} classes but dataset {ds['type']} has "
                              f"{len(meta)}: use the class file made for this dataset")


def _init_cpu_distributed(cfg) -> None:
    """torchrun on CPU: mmengine 0.10's pytorch launcher calls ``torch.cuda.set_device`` and wraps the
    model in DDP with GPU ids. Start the gloo group here (mmengine then skips its own init) and use
    DDP on CPU modules."""
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")  # env:// from torchrun
    cfg.model_wrapper_cfg = dict(type="MMDistributedDataParallel", device_ids=None)


def _round(x):
    return None if x is None else round(float(x), 2)


def write_results(runner, cfg, args, metrics, seconds, device) -> dict:
    from proxyseg import results as R

    evaluator = runner.test_evaluator.metrics[0]
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, "to_dict") else dict(cfg.model)
    if model_cfg.get("type") == "ProxyCLIPSegmentor":
        desc = R.describe_model(model_cfg)
    else:  # a trained MMSeg model, e.g. a MaskCLIP+ student
        bb, head = model_cfg.get("backbone") or {}, model_cfg.get("decode_head") or {}
        desc = dict(clip="-", vfm="-", method=f"{model_cfg.get('type')}: {bb.get('type')}-{bb.get('depth', '')} + "
                                               f"{head.get('type')}", checkpoint=cfg.get("load_from"))
    ds = cfg.test_dataloader.dataset
    res = dict(
        config=Path(args.config).stem, config_path=str(args.config), **desc, protocol=cfg.get("protocol"),
        dataset=ds.get("type"), data_root=ds.get("data_root"),
        **{k: _round(metrics.get(k)) for k in ("mIoU", "aAcc", "mAcc")},
        images=getattr(evaluator, "num_images", None), seconds=round(seconds, 2),
        num_classes=len(getattr(evaluator, "per_class", {}) or {}),
        per_class=getattr(evaluator, "per_class", None),
        params={k: model_cfg.get(k) for k in ("beta", "gamma", "logit_scale", "prob_thd", "feature_adjust",
                                               "slide_crop", "slide_stride", "window_batch", "amp")},
        seed=args.seed, deterministic=args.deterministic, device=device,
        world_size=runner.world_size, versions=R.package_versions(), git_commit=R.git_commit(REPO_ROOT),
        config_hash=R.text_hash(cfg.pretty_text), cfg_options=args.cfg_options,
        timestamp=runner.timestamp,
    )
    md = R.results_markdown(res)
    for d in (Path(runner.log_dir), Path(cfg.work_dir)):
        R.atomic_write_json(d / "results.json", res)
        R.atomic_write_text(d / "results.md", md)
    return res


def main(argv=None) -> int:
    args = parse_args(argv)
    device = select_device(args.device)
    cfg = build_cfg(args)
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    import proxyseg.mmseg  # noqa: F401  (registers models, datasets, metrics, hooks)
    from proxyseg.results import check_writable

    init_default_scope("mmseg")
    if args.launcher == "pytorch" and device == "cpu":
        _init_cpu_distributed(cfg)
    check_dataset(cfg.test_dataloader.dataset)
    check_class_count(cfg)
    if cfg.model.get("type") == "ProxyCLIPSegmentor":
        from proxyseg.models.preflight import check_weights

        check_weights(cfg.model)  # before the runner logs its environment and builds anything
    check_writable(cfg.work_dir)
    runner = Runner.from_cfg(cfg)
    if device.startswith("cuda") and ":" in device:
        import torch

        torch.cuda.set_device(device)
    from proxyseg.mmseg.pseudo_labels import trusted_local_checkpoints

    t0 = time.time()
    with trusted_local_checkpoints():  # mmengine training checkpoints under torch >= 2.6 (load_from)
        metrics = runner.test()
    seconds = time.time() - t0
    if runner.rank == 0:
        res = write_results(runner, cfg, args, metrics, seconds, device)
        print(f"\n{res['config']}: mIoU {res['mIoU']} | aAcc {res['aAcc']} | {res['images']} images | "
              f"{res['seconds']} s\nresults: {Path(runner.log_dir) / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
