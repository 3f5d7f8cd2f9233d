"""Usage checks that run before any heavy import (no torch, no mmseg): a wrong path, option or
number is reported in well under two seconds as one line naming the problem and the fix.

Call order in :func:`proxyseg.apis.evaluation.evaluate` / :func:`proxyseg.apis.training.train`::

    check_numbers()          --limit, --window-batch, --show-n ranges
    check_paths()            config file, --data-root, --checkpoint exist
    load_light_config()      mmengine Config without custom imports: syntax errors, --cfg-options
                             syntax, unknown keys (close-match suggestion), top-level typos
    check_model_values()     beta, gamma, prob_thd, logit_scale, slide_crop/stride ranges
"""
from __future__ import annotations

import ast
import difflib
import functools
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from ..errors import ConfigError, UsageError, check_range

from ..paths import PACKAGE_ROOT, REPO_ROOT  # noqa: E402

# keys mmengine's Runner.from_cfg reads, plus the ones our configs and tools use
RUNNER_KEYS = {
    "model", "work_dir", "train_dataloader", "val_dataloader", "test_dataloader", "train_cfg", "val_cfg",
    "test_cfg", "auto_scale_lr", "optim_wrapper", "param_scheduler", "val_evaluator", "test_evaluator",
    "default_hooks", "custom_hooks", "data_preprocessor", "load_from", "resume", "launcher", "env_cfg",
    "log_processor", "log_level", "visualizer", "default_scope", "randomness", "experiment_name", "cfg",
    "vis_backends", "custom_imports", "model_wrapper_cfg", "tta_model", "tta_pipeline", "train_pipeline",
    "test_pipeline", "val_pipeline", "data_root", "dataset_type", "crop_size", "img_scale", "class_names",
    "pseudo_labels", "teacher_config", "norm_cfg", "checkpoint_config",
}


def check_numbers(limit: Optional[int] = None, window_batch: Optional[int] = None,
                  show_n: Optional[int] = None) -> None:
    """Raise :class:`UsageError` for ``--limit <= 0``, ``--window-batch < 1``, ``--show-n < 0``."""
    if limit is not None and limit <= 0:
        raise UsageError(f"--limit must be >= 1 (got {limit}); drop it to evaluate every image")
    if window_batch is not None and window_batch < 1:
        raise UsageError(f"--window-batch must be >= 1 (got {window_batch})")
    if show_n is not None and show_n < 0:
        raise UsageError(f"--show-n must be >= 0 (got {show_n})")


def check_paths(config: str, data_root: Optional[str] = None, checkpoint: Optional[str] = None) -> None:
    """The config file, ``--data-root`` and ``--checkpoint`` exist."""
    if not Path(config).is_file():
        near = _near_configs(config)
        raise UsageError(f"config {config} not found" + (f"; did you mean {near}?" if near else
                                                          "; see configs/ for the available ones"))
    if data_root and not Path(data_root).expanduser().exists():
        raise UsageError(f"--data-root {data_root}: no such folder; point it at the dataset root (see data/README.md)")
    if checkpoint and not Path(checkpoint).expanduser().exists():
        raise UsageError(f"--checkpoint {checkpoint}: no such file or directory; pass a weights folder, a VFM "
                         f"weight file or a trained model's .pth")


def _near_configs(config: str) -> Optional[str]:
    name = Path(config).name
    pool = {p.name: p for p in (REPO_ROOT / "configs").rglob("*.py")} if (REPO_ROOT / "configs").is_dir() else {}
    match = difflib.get_close_matches(name, list(pool), n=1, cutoff=0.75)
    return str(pool[match[0]].relative_to(REPO_ROOT)) if match else None


def parse_cfg_options(cfg_options: Sequence[str]) -> Dict[str, Any]:
    """``['a.b=1', 'c=[1,2]']`` -> ``{'a.b': 1, 'c': [1, 2]}`` (mmengine's ``DictAction`` rules);
    a malformed entry is one :class:`UsageError` naming it."""
    from mmengine.config import DictAction

    out: Dict[str, Any] = {}
    for opt in cfg_options or ():
        key, sep, val = str(opt).partition("=")
        if not sep or not key or any(c in key for c in " ,[]()"):
            raise UsageError(f"bad --cfg-options entry {opt!r}: use KEY=VALUE, e.g. model.prob_thd=0.1")
        try:
            out[key] = DictAction._parse_iterable(val)
        except Exception:
            raise UsageError(f"bad --cfg-options value in {opt!r}: unbalanced brackets or quotes") from None
    return out


def load_light_config(config: str, cfg_options: Sequence[str] = ()):
    """mmengine ``Config`` of ``config`` merged with ``cfg_options``, without importing the
    config's custom modules (so no torch/mmseg). Syntax errors, malformed or unknown options and
    top-level key typos are :class:`UsageError`\\ s with a close-match suggestion."""
    from mmengine.config import Config

    try:
        cfg = Config.fromfile(str(config), import_custom_modules=False)
    except SyntaxError as e:  # mmengine parses without a file name: '<unknown>' means this file
        where = e.filename if e.filename and not e.filename.startswith("<") else config
        raise UsageError(f"config {where} line {e.lineno}: syntax error ({e.msg}); fix the file") \
            from None
    except Exception as e:  # bad _base_ path, bad {{ }} reference, a NameError in the file ...
        raise UsageError(f"config {config} cannot be read: {type(e).__name__}: {str(e).strip()}") from None
    check_top_level_keys(cfg, config)
    opts = parse_cfg_options(cfg_options)
    for key in opts:
        check_option_key(cfg, key)
    if opts:
        cfg.merge_from_dict(opts)
    return cfg


def check_top_level_keys(cfg, config: str = "config") -> None:
    """A top-level key close to a known one but not known itself is a typo (``tes_dataloader``)."""
    known = RUNNER_KEYS | _base_keys()
    for key in cfg.keys():
        if key in known or key.startswith("_"):
            continue
        near = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.88)
        if near:
            raise UsageError(f"{config}: unknown top-level key {key!r}; did you mean {near[0]!r}?")


@functools.lru_cache(maxsize=1)
def _base_keys() -> frozenset:
    """Top-level names assigned in the repo's config files (helper variables included)."""
    keys = set()
    for p in (REPO_ROOT / "configs").rglob("*.py"):
        try:
            tree = ast.parse(p.read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        for node in tree.body:
            if isinstance(node, ast.Assign):
                keys.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return frozenset(keys)


@functools.lru_cache(maxsize=1)
def segmentor_keys() -> frozenset:
    """Keyword arguments ``model=dict(type='ProxyCLIPSegmentor', ...)`` accepts, read from the
    source with ``ast`` (importing it would import torch and mmseg)."""
    keys = {"type", "data_preprocessor", "init_cfg", "test_cfg", "train_cfg"}
    for rel in ("mmseg/segmentor.py", "models/open_vocab.py"):
        path = PACKAGE_ROOT / rel
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in ("__init__", "build_segmenter"):
                a = node.args
                keys.update(x.arg for x in a.args + a.kwonlyargs if x.arg not in ("self", "classes"))
    return frozenset(keys)


def check_option_key(cfg, key: str) -> None:
    """``--cfg-options`` ``key`` must name an existing entry (or a known model argument)."""
    parts = key.split(".")
    node: Any = getattr(cfg, "_cfg_dict", cfg)  # mmengine Config is not a Mapping; its ConfigDict is
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, (list, tuple)):
            if not part.isdigit() or int(part) >= len(node):
                raise UsageError(f"--cfg-options {key}: {'.'.join(parts[:i]) or 'the config'} is a list of "
                                 f"{len(node)}; use an index 0..{len(node) - 1}")
            node = node[int(part)]
            continue
        if not isinstance(node, Mapping):
            return  # replacing a value by a dict: allowed
        if part in node:
            node = node[part]
            continue
        if last and _accepts_new_key(node, parts[:i], part):
            return
        if _is_proxyseg_model(node, parts[:i]) and part in segmentor_keys():
            return  # a model argument the config leaves at its default, given as a dict (model.postprocess.type)
        near = difflib.get_close_matches(part, [str(k) for k in node.keys()] + (
            sorted(segmentor_keys()) if _is_proxyseg_model(node, parts[:i]) else []), n=1, cutoff=0.6)
        where = ".".join(parts[:i]) or "the config"
        hint = f"; did you mean {'.'.join(parts[:i] + [near[0]])!r}?" if near else \
            f"; {where} has {', '.join(sorted(map(str, node.keys()))[:12])}"
        raise UsageError(f"--cfg-options {key}: unknown key {part!r} in {where}{hint}")


def _is_proxyseg_model(node: Mapping, path: List[str]) -> bool:
    return path == ["model"] and node.get("type") == "ProxyCLIPSegmentor"


def _accepts_new_key(node: Mapping, path: List[str], part: str) -> bool:
    """A new leaf is allowed in a registered part's dict (``type=...``) except our segmentor,
    whose arguments are known: there, only its real arguments."""
    if _is_proxyseg_model(node, path):
        return part in segmentor_keys()
    return "type" in node or path[:1] in (["model"], ["env_cfg"], ["randomness"])


def check_model_values(model: Mapping) -> None:
    """Out-of-range numbers of a training-free model config, before anything is built."""
    if model.get("type") != "ProxyCLIPSegmentor":
        return
    for key, lo, hi in (("prob_thd", 0.0, 1.0), ("logit_scale", 0.0, None), ("beta", 0.0, None),
                        ("gamma", 0.0, None), ("slide_crop", 1, None), ("slide_stride", 1, None),
                        ("window_batch", 1, None)):
        if model.get(key) is not None:
            check_range(key, model[key], lo, hi)
    crop, stride = model.get("slide_crop"), model.get("slide_stride")
    if isinstance(crop, (int, float)) and isinstance(stride, (int, float)) and stride > crop:
        raise ConfigError(f"slide_stride={stride} > slide_crop={crop}: windows would leave gaps; use a stride "
                          f"<= the crop")


def check_model_keys(model: Mapping, known: Iterable[str] = ()) -> None:
    """Unknown keyword arguments of our segmentor (a typo in a config file)."""
    if model.get("type") != "ProxyCLIPSegmentor":
        return
    allowed = segmentor_keys() | set(known)
    for key in model:
        if key not in allowed:
            near = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
            raise UsageError(f"model.{key} is not an argument of ProxyCLIPSegmentor"
                             + (f"; did you mean model.{near[0]}?" if near else ""))
