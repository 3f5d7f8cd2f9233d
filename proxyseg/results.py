"""Results files: atomic writes, run metadata, markdown tables. No mmseg imports."""
from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterable, Sequence

from .errors import UsageError
from .utils import io as _io


def atomic_write_text(path: os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically, mode ``0666 & ~umask`` (the one writer: :mod:`proxyseg.utils.io`)."""
    _io.atomic_write_text(path, text)


def _jsonable(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if hasattr(x, "item") and callable(x.item):
        try:
            return _jsonable(x.item())
        except (ValueError, TypeError):
            pass
    return x


def atomic_write_json(path: os.PathLike, data: Any) -> None:
    atomic_write_text(path, json.dumps(_jsonable(data), indent=2, allow_nan=False) + "\n")


def check_writable(directory: os.PathLike) -> Path:
    """Create ``directory`` and check it is writable; raise a :class:`UsageError` otherwise."""
    d = Path(directory)
    try:
        d.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=d, prefix=".write_test"):
            pass
    except OSError as e:
        raise UsageError(f"work dir {d} is not writable ({e.strerror}); pass --work-dir to a writable folder") from None
    return d


def git_commit(root: os.PathLike) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return (out.stdout.strip() + ("-dirty" if dirty else "")) or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def package_versions(names: Iterable[str] = ("torch", "open_clip_torch", "timm", "mmsegmentation", "mmengine",
                                             "mmcv", "numpy", "proxyseg")) -> Dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for n in names:
        try:
            out[n] = version(n)
        except PackageNotFoundError:
            pass
    return out


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fmt(x: Any, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(fmt(v) for v in r) + " |")
    return "\n".join(lines) + "\n"


PER_CLASS_NOTE = ("`-`: the class is absent from both the predictions and the labels of every image, so its IoU "
                  "is undefined; mIoU is the mean over the other classes (nanmean, as mmseg's IoUMetric).")


def results_markdown(res: Dict[str, Any]) -> str:
    """Human-readable ``results.md`` from the ``results.json`` dict."""
    summary = [("config", res.get("config")), ("method", res.get("method")), ("protocol", res.get("protocol")),
               ("CLIP", res.get("clip")),
               ("VFM", res.get("vfm")), ("dataset", res.get("dataset")), ("mIoU", res.get("mIoU")),
               ("aAcc", res.get("aAcc")), ("mAcc", res.get("mAcc")), ("images", res.get("images")),
               ("seconds", res.get("seconds")), ("device", res.get("device")), ("seed", res.get("seed")),
               ("git commit", res.get("git_commit")), ("config hash", res.get("config_hash"))]
    out = [f"# {res.get('config')}\n", markdown_table(["field", "value"], summary), "\n## Per-class\n\n"]
    per = res.get("per_class") or {}
    if any(v.get("IoU") is None for v in per.values()):
        out.append(PER_CLASS_NOTE + "\n\n")
    out.append(markdown_table(["class", "IoU", "Acc"], [(k, v.get("IoU"), v.get("Acc")) for k, v in per.items()]))
    if res.get("skipped"):
        out.append(f"\n## Skipped files ({len(res['skipped'])}, --skip-bad)\n\n")
        out.append(markdown_table(["file", "reason"], [(s.get("file"), s.get("reason")) for s in res["skipped"]]))
    return "".join(out)


def describe_model(model_cfg: Dict[str, Any]) -> Dict[str, str]:
    """Short CLIP / VFM / method labels from a training-free model config dict (the one labeler:
    the method object says whether it uses a VFM and how it is labelled)."""
    from .methods import build_method
    from .models.vfm import default_arch

    clip = model_cfg.get("clip") or {}
    vfm = model_cfg.get("vfm") or {}
    method = build_method(model_cfg.get("method", "proxyclip"), beta=model_cfg.get("beta"),
                          gamma=model_cfg.get("gamma"))
    clip_s = "tiny-random" if clip.get("model_cfg") else f"{clip.get('name')}/{clip.get('pretrained')}"
    vfm_s = f"{vfm.get('type')}-{vfm.get('arch') or default_arch(vfm.get('type'))}" \
        if (vfm and method.needs_vfm) else "-"
    if model_cfg.get("pretrained") is False:
        clip_s += " (random)"
    label = method.name + ("+feature_adjust" if model_cfg.get("feature_adjust") else "")
    return {"clip": clip_s, "vfm": vfm_s, "method": label}
