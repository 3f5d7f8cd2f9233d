"""Config loading shared by the tools: mmengine ``Config`` + ``--cfg-options`` with clear errors."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Sequence

from ..errors import UsageError


def load_config(path: str, cfg_options: Sequence[str] = ()):
    """``Config.fromfile(path)`` merged with mmengine-style ``KEY=VALUE`` overrides."""
    from mmengine.config import Config, DictAction

    if not Path(path).is_file():
        raise UsageError(f"config {path} not found")
    cfg = Config.fromfile(str(path))
    if cfg_options:
        opts = argparse.ArgumentParser()
        opts.add_argument("--o", nargs="+", action=DictAction)
        try:
            cfg.merge_from_dict(opts.parse_args(["--o", *cfg_options]).o)
        except SystemExit:
            raise UsageError(f"bad --cfg-options {list(cfg_options)}: use KEY=VALUE") from None
    return cfg


def resolve_repo_path(model_cfg, key: str) -> None:
    """A repo-relative path in the model config (e.g. ``name_path``) made absolute when needed."""
    from ..cli import REPO_ROOT

    p = model_cfg.get(key)
    if p and not Path(p).is_file() and (REPO_ROOT / p).is_file():
        model_cfg[key] = str(REPO_ROOT / p)
