"""Evaluate a config with mmengine's Runner: the whole of ``tools/test.py`` as one function.

Call graph::

    evaluate(config, ...)
      usage checks (no torch/mmseg yet)        proxyseg.apis.usage: paths, numbers, options, keys
      build_test_cfg()                         work dir, seed, limit, data root, device, metric swap
      with weights_dir(--checkpoint DIR):      scoped: never leaks into the next evaluation
        check_dataset() / check_class_count() / check_weights()   before any model is built
        with quiet_console(log):                mmengine's logs -> the run's log file only
          Runner.from_cfg(cfg); model.to(device); runner.test()
      write_results()                          results.{json,md} in the run folder and the work dir

>>> from proxyseg.apis import evaluate
>>> res = evaluate("configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py", device="cpu", limit=2)
>>> res["mIoU"], res["results_path"]
"""
from __future__ import annotations

import contextlib
import io
import sys
import time
import uuid
import warnings
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from ..errors import ClassNamesError, UsageError
from .usage import REPO_ROOT, check_model_keys, check_model_values, check_numbers, check_paths, load_light_config

TRAINING_FREE = "ProxyCLIPSegmentor"


def evaluate(config: str, *, work_dir: Optional[str] = None, data_root: Optional[str] = None,
             checkpoint: Optional[str] = None, clip_checkpoint: Optional[str] = None,
             cfg_options: Sequence[str] = (), limit: Optional[int] = None, device: str = "auto",
             window_batch: Optional[int] = None, amp: Optional[str] = None, amp_clip: bool = False, seed: int = 0,
             deterministic: bool = False, show_dir: Optional[str] = None, show_n: Optional[int] = None,
             ignore_bad_labels: bool = False, launcher: str = "none", verbose: bool = False,
             progress: bool = True, resume: bool = True, skip_bad: bool = False) -> Dict[str, Any]:
    """Evaluate ``config`` on its ``test_dataloader``; returns the ``results.json`` dict (plus
    ``results_path``). Every setting is an argument: nothing is read from or left in ``os.environ``.

    Args:
        checkpoint: a weights folder searched first for every model (scoped to this call), a VFM
            weight file, or a trained MMSeg model's ``.pth`` (e.g. a MaskCLIP+ student).
        device: ``auto`` | ``cpu`` | ``cuda`` | ``cuda:N``: where the model runs.
        limit: the first ``limit`` images only. verbose: mmengine's logs on the console too.
        skip_bad: evaluate the images that pass the split preflight and record the others (default:
            stop and list every bad file).
        resume: keep per-chunk counts in ``<work_dir>/resume`` and, after an interruption, continue
            where the last run stopped if nothing that changes the numbers changed (else start fresh
            and say which part changed).
    """
    cfg, weights_folder, device = prepare_test_cfg(
        config, work_dir=work_dir, data_root=data_root, checkpoint=checkpoint, clip_checkpoint=clip_checkpoint,
        cfg_options=cfg_options, limit=limit, device=device, window_batch=window_batch, amp=amp, amp_clip=amp_clip,
        seed=seed, deterministic=deterministic, show_dir=show_dir, show_n=show_n,
        ignore_bad_labels=ignore_bad_labels, launcher=launcher)
    from ..weights import weights_dir

    with weights_dir(weights_folder):
        return _run(cfg, config=config, device=device, verbose=verbose, progress=progress, resume=resume,
                    weights_folder=weights_folder, skip_bad=skip_bad, check_values=not ignore_bad_labels,
                    extra=dict(seed=seed, deterministic=deterministic, cfg_options=list(cfg_options)))


def prepare_test_cfg(config: str, *, cfg_options: Sequence[str] = (), device: str = "auto", **kw):
    """The usage checks (before heavy imports), then the evaluation config: ``(cfg, weights
    folder or None, resolved device)``. ``kw``: the other :func:`build_test_cfg` arguments."""
    check_numbers(limit=kw.get("limit"), window_batch=kw.get("window_batch"), show_n=kw.get("show_n"))
    check_paths(config, kw.get("data_root"), kw.get("checkpoint"))
    cfg = load_light_config(config, cfg_options)
    check_model_keys(cfg.model)
    check_model_values(cfg.model)
    from ..cli import resolve_device

    device = resolve_device(device)
    cfg, weights_folder = build_test_cfg(cfg, config=config, device=device, **kw)
    return cfg, weights_folder, device


def build_test_cfg(cfg, *, config: str, work_dir=None, data_root=None, checkpoint=None, clip_checkpoint=None,
                   limit=None, device="cpu", window_batch=None, amp=None, amp_clip=False, seed=0,
                   deterministic=False, show_dir=None, show_n=None, ignore_bad_labels=False, launcher="none"):
    """The evaluation config and the weights folder to search (``--checkpoint DIR``) or ``None``."""
    from ..mmseg.config import resolve_repo_path

    cfg_path = Path(config)
    cfg.launcher = launcher
    # unique per run: mmengine keys its logger/visualizer singletons by the experiment name
    cfg.experiment_name = f"{cfg_path.stem}_{time.strftime('%Y%m%d_%H%M%S')}_{uuid.uuid4().hex[:6]}"
    cfg.work_dir = str(work_dir or Path("work_dirs") / cfg_path.stem)
    cfg.randomness = dict(seed=seed, deterministic=deterministic)
    m = cfg.model
    weights_folder = None
    ck = Path(checkpoint).expanduser() if checkpoint else None
    if m.get("type") != TRAINING_FREE:  # an ordinary MMSeg segmentor (MaskCLIP+ student)
        for flag, value in (("window-batch", window_batch), ("amp", amp), ("amp-clip", amp_clip),
                            ("clip-checkpoint", clip_checkpoint)):
            if value:
                raise UsageError(f"--{flag} applies to proxyseg's training-free models, not to {m.get('type')}")
        if ck is not None:
            if not ck.is_file():
                raise UsageError(f"--checkpoint {checkpoint}: not a file (the .pth that tools/train.py wrote)")
            cfg.load_from = str(ck)
        if not cfg.get("load_from"):
            raise UsageError(f"{cfg_path.name} is a trained {m.get('type')}: pass --checkpoint "
                             f"work_dirs/{cfg_path.stem}/iter_N.pth (written by tools/train.py)")
        cfg.resume = False
    else:
        if window_batch:
            m.window_batch = window_batch
        if amp:
            m.amp = amp
        if amp_clip:
            if not m.get("amp"):
                raise UsageError("--amp-clip needs --amp bf16|fp16")
            m.amp_clip = True
        if clip_checkpoint:
            m.clip.checkpoint = clip_checkpoint
        if ck is not None and ck.is_dir():
            weights_folder = ck
        elif ck is not None:
            from ..methods import build_method

            if not (m.get("vfm") and build_method(m.get("method", "proxyclip")).needs_vfm):
                raise UsageError(f"--checkpoint {checkpoint} is a file, but method {m.get('method')!r} uses no VFM "
                                 f"to load it into: pass CLIP weights with --clip-checkpoint, or a weights folder")
            m.vfm.checkpoint = str(ck)
        resolve_repo_path(m, "name_path")
    loader = cfg.test_dataloader
    if data_root:
        loader.dataset.data_root = str(data_root)
    if limit:
        loader.dataset.indices = limit
    if loader.dataset.get("type") == "FolderSegDataset":
        from .folder_eval import resolve_folder_cfg

        resolve_folder_cfg(cfg)  # class file: model.name_path, else <data_root>/classes.txt; ignore index
    ev = cfg.get("test_evaluator") or {}
    if ev.get("type") in ("IoUMetric", "ProxySegIoUMetric"):
        ev.type = "ProxySegIoUMetric"
        if ignore_bad_labels:
            ev.out_of_range = "ignore"
    if show_dir:
        cfg.default_hooks.visualization = dict(type="LimitedSegVisualizationHook", draw=True, interval=1,
                                               max_images=show_n)
        show = Path(show_dir)
        cfg.visualizer.save_dir = str(show if show.is_absolute() else Path(cfg.work_dir) / show)
    cfg.visualizer.pop("name", None)  # unique per run (the experiment name), not a process-wide singleton
    if device == "cpu":
        cfg.env_cfg.dist_cfg = dict(backend="gloo")
    for key in ("train_dataloader", "val_dataloader", "train_cfg", "val_cfg", "val_evaluator", "optim_wrapper",
                "param_scheduler"):
        cfg.pop(key, None)  # evaluation only: keep Runner from building training parts
    return cfg, weights_folder


def _run(cfg, *, config: str, device: str, verbose: bool, progress: bool, resume: bool, weights_folder,
         skip_bad: bool, check_values: bool, extra: Dict[str, Any]) -> Dict[str, Any]:
    from mmengine.registry import init_default_scope

    import proxyseg.mmseg  # noqa: F401  (registers models, datasets, metrics, hooks)

    from ..results import check_writable

    init_default_scope("mmseg")
    if cfg.launcher == "pytorch" and device == "cpu":
        init_cpu_distributed(cfg)
    check_dataset(cfg.test_dataloader.dataset)
    check_class_count(cfg)
    check_writable(cfg.work_dir)
    skipped = preflight_split(cfg, skip_bad=skip_bad, check_values=check_values)
    if skip_bad:
        extra["skipped"] = [dict(file=f, reason=r) for f, r in skipped]
    if cfg.model.get("type") == TRAINING_FREE:
        from ..models.preflight import check_weights

        check_weights(cfg.model)  # before the runner logs its environment and builds anything
    from .run_key import run_key

    key = run_key(cfg, weights_folder=weights_folder)
    extra["run_key"] = key
    resumable = resume and cfg.launcher == "none" and cfg.get("test_evaluator", {}).get("type") == "ProxySegIoUMetric"
    if resumable:
        setup_resume(cfg, key)
    for hook in cfg.get("custom_hooks") or []:
        if hook.get("type") == "ProgressBarHook":
            hook["disable"] = not progress
    from mmengine.runner import Runner

    from ..mmseg.pseudo_labels import trusted_local_checkpoints

    with quiet_console(verbose):
        runner = Runner.from_cfg(cfg)
        place_model(runner, device)
        t0 = time.time()
        with trusted_local_checkpoints():  # mmengine training checkpoints under torch >= 2.6 (load_from)
            metrics = runner.test()
        seconds = time.time() - t0
    if runner.rank != 0:
        return {}
    res = write_results(runner, cfg, config, metrics, seconds, device, extra)
    if resumable:
        from ..mmseg import resume as R

        R.finish(cfg.work_dir)
    return res


def setup_resume(cfg, key: Dict[str, str]) -> None:
    """Point the metric at ``<work_dir>/resume`` and start the sampler after the images an
    interrupted run already counted; say on the console what happens."""
    from ..mmseg import resume as R

    done, changed = R.prepare(cfg.work_dir, key)
    if changed:
        print(f"resume: starting fresh ({', '.join(changed)} changed since the interrupted run in "
              f"{R.state_dir(cfg.work_dir)})", file=sys.stderr, flush=True)
    elif done:
        print(f"resume: {done} image(s) already counted in {R.state_dir(cfg.work_dir)}; continuing from there",
              file=sys.stderr, flush=True)
    cfg.test_evaluator.resume_dir = str(R.state_dir(cfg.work_dir))
    loader = cfg.test_dataloader
    loader.sampler = dict(type="SkipSampler", start=done)


def _dataset_defaults(ds_type: str) -> Dict[str, Any]:
    """Constructor defaults (suffixes, reduce_zero_label) and classes of a registered dataset."""
    import inspect

    from mmseg.registry import DATASETS

    cls = DATASETS.get(ds_type)
    out: Dict[str, Any] = {}
    for klass in getattr(cls, "__mro__", ()):
        if "__init__" in vars(klass):
            for k, p in inspect.signature(klass.__init__).parameters.items():
                if p.default is not inspect.Parameter.empty:
                    out.setdefault(k, p.default)
    out["classes"] = getattr(cls, "METAINFO", {}).get("classes")
    return out


def preflight_split(cfg, *, skip_bad: bool, check_values: bool = True) -> List[Tuple[str, str]]:
    """Check every file of the test split before a model is built (see :mod:`.split_check`).
    Bad files stop the run with the list, or with ``skip_bad`` are left out through a filtered
    ``ann_file`` in the work dir; returns the skipped ``(file, reason)`` pairs."""
    from ..errors import DatasetError
    from .split_check import bad_files_message, scan_split

    ds = cfg.test_dataloader.dataset
    if "data_root" not in ds:
        return []
    if ds.get("type") == "FolderSegDataset":
        from .folder_eval import preflight_folder

        return preflight_folder(cfg, skip_bad=skip_bad, check_values=check_values)
    d = _dataset_defaults(ds["type"])
    root, prefix = Path(ds["data_root"]), ds.get("data_prefix") or {}
    img_dir, ann_dir = root / prefix.get("img_path", ""), root / prefix.get("seg_map_path", "")
    classes = (ds.get("metainfo") or {}).get("classes") or d.get("classes") or ()
    names = None
    if ds.get("ann_file"):
        ann = Path(ds["ann_file"]) if Path(ds["ann_file"]).is_absolute() else root / ds["ann_file"]
        names = [ln.strip() for ln in ann.read_text(encoding="utf-8").splitlines() if ln.strip()]
    ignore = (cfg.get("test_evaluator") or {}).get("ignore_index", 255)
    good, bad = scan_split(img_dir, ann_dir, ds.get("img_suffix", d.get("img_suffix", ".jpg")),
                           ds.get("seg_map_suffix", d.get("seg_map_suffix", ".png")), len(classes),
                           ignore_index=ignore, names=names, check_values=check_values and bool(classes),
                           reduce_zero_label=ds.get("reduce_zero_label", d.get("reduce_zero_label", False)))
    if not bad:
        return []
    if not skip_bad:
        raise DatasetError(bad_files_message(bad))
    if not good:
        raise DatasetError(f"every file of the split is bad; nothing to evaluate\n{bad_files_message(bad)}")
    listed = Path(cfg.work_dir) / "good_files.txt"
    from ..results import atomic_write_text

    atomic_write_text(listed, "".join(f"{n}\n" for n in good))
    ds.ann_file = str(listed.resolve())
    print(f"--skip-bad: leaving out {len(bad)} bad file(s) (listed in results.json/md)", file=sys.stderr, flush=True)
    return bad


def place_model(runner, device: str) -> None:
    """Put the runner's model on ``device`` (mmengine places it on its own default device)."""
    if device.startswith("cuda") and ":" in device:
        import torch

        torch.cuda.set_device(device)
    if not runner.distributed:
        runner.model.to(device)


class _NullStream(io.TextIOBase):
    """A text stream that drops what it is given (stands in for the console)."""

    def write(self, s: str) -> int:
        return len(s)


@contextlib.contextmanager
def quiet_console(verbose: bool) -> Iterator[None]:
    """Unless ``verbose``: loggers created inside the block (mmengine's, bound to ``sys.stdout``
    when built) write to their log file only; Python warnings go to the log too, and proxyseg's own
    warnings are also printed once as ``warning: ...`` on stderr."""
    if verbose:
        yield
        return
    sink = _NullStream()  # the file handler has it all; keep nothing in memory
    console = sys.stderr

    def show(message, category, filename, lineno, file=None, line=None):
        text = f"{category.__name__}: {message}"
        try:
            from mmengine.logging import MMLogger

            MMLogger.get_current_instance().warning(text)
        except Exception:
            pass
        if "proxyseg" in str(filename):
            print(f"warning: {message}", file=console)

    with warnings.catch_warnings():
        warnings.showwarning = show
        with contextlib.redirect_stdout(sink):
            yield


def check_dataset(ds_cfg) -> None:
    """Fail fast (before building models) on a missing or malformed data root."""
    from ..mmseg.datasets import check_dataset_cfg

    if "data_root" not in ds_cfg:
        return
    if ds_cfg.get("type") == "FolderSegDataset":  # per-file problems: preflight_split (--skip-bad)
        from .folder_eval import check_folder_layout

        return check_folder_layout(ds_cfg)
    if not Path(ds_cfg["data_root"]).exists() and (REPO_ROOT / ds_cfg["data_root"]).exists():
        ds_cfg["data_root"] = str(REPO_ROOT / ds_cfg["data_root"])
    check_dataset_cfg(ds_cfg, repo_root=REPO_ROOT)


def check_class_count(cfg) -> None:
    """The class file must have as many classes as the dataset (else IoU is silently wrong)."""
    from mmseg.registry import DATASETS

    from ..text import load_class_names

    ds = cfg.test_dataloader.dataset
    meta = (ds.get("metainfo") or {}).get("classes")
    cls = DATASETS.get(ds["type"])
    if meta is None and cls is not None:
        meta = getattr(cls, "METAINFO", {}).get("classes")
    if cfg.model.get("type") != TRAINING_FREE:  # a trained model: its head's output classes
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


def init_cpu_distributed(cfg) -> None:
    """torchrun on CPU: mmengine 0.10's pytorch launcher calls ``torch.cuda.set_device`` and wraps the
    model in DDP with GPU ids. Start the gloo group here (mmengine then skips its own init) and use
    DDP on CPU modules."""
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")  # env:// from torchrun
    cfg.model_wrapper_cfg = dict(type="MMDistributedDataParallel", device_ids=None)


def describe_runner_model(runner, cfg) -> Dict[str, Any]:
    """method / CLIP / VFM labels read from the BUILT model (``describe()``), else from the config."""
    from ..results import describe_model

    model = getattr(runner.model, "module", runner.model)
    if hasattr(model, "describe"):
        return dict(model.describe())
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, "to_dict") else dict(cfg.model)
    if model_cfg.get("type") == TRAINING_FREE:
        return describe_model(model_cfg)
    bb, head = model_cfg.get("backbone") or {}, model_cfg.get("decode_head") or {}
    return dict(clip="-", vfm="-", method=f"{model_cfg.get('type')}: {bb.get('type')}-{bb.get('depth', '')} + "
                                          f"{head.get('type')}", checkpoint=cfg.get("load_from"))


def write_results(runner, cfg, config: str, metrics: dict, seconds: float, device: str,
                  extra: Dict[str, Any], *, metric_index: int = 0, out_dirs: Optional[Sequence[Path]] = None,
                  **fields) -> Dict[str, Any]:
    """``results.{json,md}`` in the run's log dir and in the work dir (or ``out_dirs``); returns the
    dict. ``metric_index``: which of the evaluator's metrics (a shared pass has one per cell)."""
    from .. import results as R

    evaluator = runner.test_evaluator.metrics[metric_index]
    model_cfg = cfg.model.to_dict() if hasattr(cfg.model, "to_dict") else dict(cfg.model)
    ds = cfg.test_dataloader.dataset
    res = dict(
        config=Path(config).stem, config_path=str(config), **{**describe_runner_model(runner, cfg), **fields},
        dataset=ds.get("type"), data_root=ds.get("data_root"), protocol=cfg.get("protocol"),
        **{k: None if metrics.get(k) is None else round(float(metrics[k]), 2) for k in ("mIoU", "aAcc", "mAcc")},
        images=getattr(evaluator, "num_images", None), seconds=round(seconds, 2),
        num_classes=len(getattr(evaluator, "per_class", {}) or {}),
        per_class=getattr(evaluator, "per_class", None),
        params={k: model_cfg.get(k) for k in ("beta", "gamma", "logit_scale", "prob_thd", "feature_adjust",
                                               "slide_crop", "slide_stride", "window_batch", "amp")},
        device=device, world_size=runner.world_size, versions=R.package_versions(),
        git_commit=R.git_commit(REPO_ROOT), config_hash=R.text_hash(cfg.pretty_text), timestamp=runner.timestamp,
        **extra,
    )
    res["log_file"] = str(Path(runner.log_dir) / f"{runner.timestamp}.log")
    md = R.results_markdown(res)
    dirs = [Path(d) for d in out_dirs] if out_dirs is not None else [Path(runner.log_dir), Path(cfg.work_dir)]
    from .confusion import add_confusion

    md = add_confusion(res, md, evaluator, dirs, dataset=ds)  # confusion.png, confused pairs, worst images
    for d in dirs:
        R.atomic_write_json(d / "results.json", res)
        R.atomic_write_text(d / "results.md", md)
    res["results_path"] = str(dirs[0] / "results.json")
    return res


def summary_lines(res: Dict[str, Any]) -> str:
    """The short console summary of a finished evaluation."""
    return (f"{res['config']}: mIoU {res['mIoU']} | aAcc {res['aAcc']} | mAcc {res['mAcc']} | {res['images']} images"
            f" | {res['seconds']} s\nresults: {res['results_path']} (+ results.md)\nlog: {res['log_file']}")
