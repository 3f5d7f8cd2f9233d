"""``python -m proxyseg doctor [CONFIG]``: is this install ready? A few seconds, no downloads.

Reports the versions of the stack, whether mmcv's compiled ops import, every known model's
weights (found, with the file, or missing, with the file expected and the folders searched),
every dataset config's data root, the device and the CPU's bf16 support. With a CONFIG, the
exit code is 1 when something that config needs (its weights, its dataset) is missing.
Read-only: it reuses :mod:`proxyseg.weights` and :mod:`proxyseg.models.preflight`.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.metadata as md
import os
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

PACKAGES = (("torch", "torch"), ("mmcv", "mmcv"), ("mmseg", "mmsegmentation"), ("mmengine", "mmengine"),
            ("open_clip", "open_clip_torch"), ("timm", "timm"))
OK, MISSING, INFO = "ok", "MISSING", "--"


def versions() -> List[Tuple[str, str]]:
    """``(package, version or 'not installed')`` from the installed metadata (no imports)."""
    out = []
    for name, dist in PACKAGES:
        try:
            out.append((name, md.version(dist)))
        except md.PackageNotFoundError:
            out.append((name, "not installed"))
    return out


def mmcv_ops() -> Tuple[bool, str]:
    """Whether ``mmcv._ext`` (the compiled ops mmseg imports) loads."""
    try:
        importlib.import_module("mmcv._ext")
        return True, "mmcv._ext imports"
    except Exception as e:  # ImportError, OSError (undefined symbol: built against another torch)
        return False, f"mmcv._ext does not import ({type(e).__name__}: {str(e).splitlines()[0][:160]}); rerun bash install.sh"


def known_models() -> List[Tuple[str, List[str], str, bool]]:
    """``(label, weight file stems, source, local_only)`` for CLIP ViT-B/16 and every registered VFM arch."""
    from .models.clip_factory import clip_weight_source, clip_weight_stems
    from .models.vfm import _load_all
    from .models.vfm.base import VFM_REGISTRY

    _load_all()
    out = [("CLIP ViT-B-16 (openai)", clip_weight_stems("ViT-B-16", "openai"),
            clip_weight_source("ViT-B-16", "openai"), False)]
    for vtype in sorted(VFM_REGISTRY):
        cls = VFM_REGISTRY[vtype]
        for arch in cls.ARCHS:
            stems = cls.weight_stems(arch)
            if stems:
                out.append((f"VFM {vtype} {arch}", list(stems), cls.weight_source(arch), cls.LOCAL_ONLY))
    return out


def weights_line(stems: List[str], source: str) -> Tuple[bool, str]:
    """``(found, the file found | the file expected and where to get it)``."""
    from . import weights as W

    path = W.find_weights(stems)
    if path is not None:
        return True, str(path)
    suffix = "" if stems[0].endswith(W.WEIGHT_SUFFIXES) else ".safetensors (or .pth)"
    return False, f"expected {stems[0]}{suffix} in a weights dir; get it from {source}"


def weights_status(model_cfg: dict) -> Tuple[bool, str]:
    """``(found, detail)``: :func:`proxyseg.models.preflight.check_weights` without downloads."""
    from .errors import ProxySegError
    from .models.preflight import check_weights

    try:
        check_weights(model_cfg)
        return True, "found"
    except ProxySegError as e:
        return False, str(e)


def dataset_roots(cfg: dict) -> List[Path]:
    """The image folders a config's test/val dataloader reads (``data_root`` / ``img_path``)."""
    roots = []
    for key in ("test_dataloader", "val_dataloader"):
        ds = (cfg.get(key) or {}).get("dataset") or {}
        if ds.get("data_root"):
            img = (ds.get("data_prefix") or {}).get("img_path", "")
            roots.append(Path(ds["data_root"]) / img)
    return list(dict.fromkeys(roots))


def device_lines() -> List[Tuple[str, str, str]]:
    import torch

    from .utils.cpu import cpu_has_bf16, torch_cpu_capability

    rows = []
    if torch.cuda.is_available():
        names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        rows.append((OK, "device", f"cuda ({names}); bf16 {'yes' if torch.cuda.is_bf16_supported() else 'no'}"))
    else:
        build = f"CUDA {torch.version.cuda} build" if torch.version.cuda else "CPU build"
        rows.append((INFO, "device", f"cpu (no usable GPU; torch is a {build})"))
    bf16 = cpu_has_bf16()
    text = {True: "yes (bf16 autocast is fast here)", False: "no: bf16 autocast runs slower than fp32 on this CPU",
            None: "unknown"}[bf16]
    rows.append((INFO, "cpu bf16", f"{text}; torch CPU capability {torch_cpu_capability() or 'unknown'}"))
    return rows


def run(config: Optional[str] = None, repo: Optional[Path] = None) -> Tuple[List[Tuple[str, str, str]], bool]:
    """All checks as ``(status, what, detail)`` rows, and whether CONFIG's needs are all met."""
    from .apis.config_loader import load_config
    from .cli import REPO_ROOT

    repo = repo or REPO_ROOT
    rows: List[Tuple[str, str, str]] = [(INFO, "python", sys.version.split()[0])]
    vers = dict(versions())
    rows += [(OK if v != "not installed" else MISSING, n, v) for n, v in vers.items()]
    ok_ops, detail = mmcv_ops() if vers["mmcv"] != "not installed" else (False, "mmcv not installed")
    rows.append((OK if ok_ops else MISSING, "mmcv ops", detail))
    rows += device_lines()
    from . import weights as W

    rows.append((INFO, "weights dirs", ", ".join(str(d) for d in W.search_dirs())))
    for label, stems, source, _ in known_models():
        found, detail = weights_line(stems, source)
        rows.append((OK if found else MISSING, f"weights {label}", detail))
    datasets: Dict[Path, str] = {}
    for f in sorted((repo / "configs" / "_base_" / "datasets").glob("[!_]*.py")):
        try:
            for r in dataset_roots(load_config(f, use_mmengine=False)):
                datasets[r] = f.stem
        except Exception as e:  # a broken base config is itself worth a line
            rows.append((MISSING, f"dataset {f.stem}", f"config does not load ({type(e).__name__}: {e})"))
    for root, name in datasets.items():
        full = root if root.is_absolute() else Path.cwd() / root
        rows.append((OK if full.is_dir() else MISSING, f"dataset {name}", f"{root}" + ("" if full.is_dir() else
                     " not found (data/README.md says how to prepare it; --data-root points elsewhere)")))
    ready = True
    if config:
        cfg = load_config(config)
        model = dict(cfg.get("model") or {})
        found, detail = weights_status(model)
        rows.append((OK if found else MISSING, f"config {Path(str(config)).name}: weights", detail))
        ready &= found
        for root in dataset_roots(cfg):
            here = (root if root.is_absolute() else Path.cwd() / root).is_dir()
            rows.append((OK if here else MISSING, f"config {Path(str(config)).name}: data", str(root)))
            ready &= here
        if vers["mmseg"] == "not installed" or not ok_ops:
            rows.append((MISSING, "config: tools/test.py", "needs mmseg and mmcv's ops: bash install.sh"))
            ready = False
    return rows, ready


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m proxyseg doctor", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", nargs="?", help="a config (path or name under configs/) whose needs decide the exit code")
    p.add_argument("--checkpoint", help="weights directory searched first (as the tools' --checkpoint)")
    args = p.parse_args(argv)
    if args.checkpoint:
        from .errors import UsageError

        if not Path(args.checkpoint).expanduser().is_dir():
            raise UsageError(f"--checkpoint {args.checkpoint}: not a directory")
        os.environ["PROXYSEG_WEIGHTS"] = str(Path(args.checkpoint).expanduser())
    os.environ.setdefault("PROXYSEG_OFFLINE", "1")  # never wait for the hub: report files on disk
    rows, ready = run(args.config)
    width = max(len(w) for _, w, _ in rows)
    for status, what, detail in rows:
        print(f"[{status:^7}] {what:<{width}}  {detail}")
    if args.config:
        print(f"{args.config}: {'ready' if ready else 'NOT ready (see MISSING above)'}")
        return 0 if ready else 1
    return 0
