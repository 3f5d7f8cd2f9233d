"""Resolve and load checkpoints: explicit path > $PROXYSEG_WEIGHTS > ~/.cache/proxyseg > hub.

Nothing is downloaded when ``PROXYSEG_OFFLINE=1`` (or ``HF_HUB_OFFLINE=1``) is set; a missing
file is then a :class:`WeightsNotFoundError` that names the model, the file expected, the
directories searched and how to provide it.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence

import torch
import torch.nn as nn

from .errors import CheckpointError, WeightsNotFoundError

WEIGHT_SUFFIXES = (".safetensors", ".pth", ".pt", ".bin")


def cache_dir() -> Path:
    """The library cache (``$XDG_CACHE_HOME/proxyseg`` or ``~/.cache/proxyseg``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "proxyseg"


_WEIGHTS_DIR: contextvars.ContextVar = contextvars.ContextVar("proxyseg_weights_dir", default=None)


@contextlib.contextmanager
def weights_dir(path: Optional[os.PathLike]) -> Iterator[None]:
    """Search ``path`` first for every model's weights inside this ``with`` block only (the scoped
    form of ``--checkpoint DIR``; ``None`` changes nothing). Unlike ``$PROXYSEG_WEIGHTS`` it never
    leaks into later evaluations of the same process."""
    token = _WEIGHTS_DIR.set(Path(path).expanduser() if path else _WEIGHTS_DIR.get())
    try:
        yield
    finally:
        _WEIGHTS_DIR.reset(token)


def scoped_weights_dir() -> Optional[Path]:
    """The folder set by :func:`weights_dir`, or ``None``."""
    return _WEIGHTS_DIR.get()


def search_dirs() -> List[Path]:
    """Directories searched for weight files, in order: :func:`weights_dir`, ``$PROXYSEG_WEIGHTS``,
    the library cache."""
    dirs = []
    if _WEIGHTS_DIR.get() is not None:
        dirs.append(_WEIGHTS_DIR.get())
    if os.environ.get("PROXYSEG_WEIGHTS"):
        dirs.append(Path(os.environ["PROXYSEG_WEIGHTS"]).expanduser())
    dirs.append(cache_dir())
    return dirs


def offline_by_env() -> bool:
    """``PROXYSEG_OFFLINE=1`` or ``HF_HUB_OFFLINE=1``."""
    return any(os.environ.get(k, "0") not in ("", "0") for k in ("PROXYSEG_OFFLINE", "HF_HUB_OFFLINE"))


def offline() -> bool:
    """True when hub downloads must not be attempted (set by env, or the hub is unreachable)."""
    return offline_by_env() or not hub_reachable()


_REACHABLE: dict = {}


def hub_reachable(host: str = "huggingface.co", timeout: float = 3.0) -> bool:
    """Whether ``host:443`` accepts a TCP connection (cached): avoids a minute of hub retries offline."""
    if host not in _REACHABLE:
        import socket

        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            _REACHABLE[host] = True
        except OSError:
            _REACHABLE[host] = False
    return _REACHABLE[host]


def find_weights(stems: Sequence[str], checkpoint: Optional[str] = None) -> Optional[Path]:
    """Path of the first existing weight file, or ``None``.

    Args:
        stems: file names without suffix to look for (e.g. ``vit_base_patch8_224.dino``); a stem
            that already has a suffix is looked up as is.
        checkpoint: an explicit file (must exist) or directory to search first.
    """
    if checkpoint:
        p = Path(checkpoint).expanduser()
        if p.is_file():
            return p
        if not p.is_dir():
            raise WeightsNotFoundError(f"checkpoint {checkpoint!r} does not exist")
        dirs = [p] + search_dirs()
    else:
        dirs = search_dirs()
    for d in dirs:
        for stem in stems:
            names = [stem] if stem.endswith(WEIGHT_SUFFIXES) else [stem + s for s in WEIGHT_SUFFIXES]
            for name in names:
                if (d / name).is_file():
                    return d / name
    return None


def missing(model: str, stems: Sequence[str], source: str, reason: str = "") -> WeightsNotFoundError:
    """A :class:`WeightsNotFoundError` that says what to download and where to put it."""
    dirs = ", ".join(str(d) for d in search_dirs())
    target = search_dirs()[0]
    suffix = "" if stems[0].endswith(WEIGHT_SUFFIXES) else ".safetensors (or .pth)"
    msg = (f"weights for {model} not found: looked for {stems[0]}{suffix} in {dirs}"
           f"{_skip_reason()}{'; ' + reason if reason else ''}. "
           f"Download it from {source} and place it at {target / stems[0]}{suffix and '.safetensors'}, "
           f"or pass --checkpoint PATH (config: checkpoint=...) or set PROXYSEG_WEIGHTS=DIR.")
    return WeightsNotFoundError(msg)


def _skip_reason() -> str:
    if offline_by_env():
        return " (hub download skipped: offline)"
    if not hub_reachable():
        return " (hub download skipped: offline, huggingface.co unreachable)"
    return ""


def load_state_dict(path: Path) -> Dict[str, torch.Tensor]:
    """Read a state dict from ``.safetensors`` or a torch file; bad files give CheckpointError."""
    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            sd = load_file(str(path))
        else:
            sd = torch.load(str(path), map_location="cpu", weights_only=False)
    except Exception as e:  # truncated/corrupt files raise many different errors
        raise CheckpointError(f"checkpoint {path} cannot be read ({type(e).__name__}: {e}); "
                              f"the file may be truncated or not a checkpoint: download it again") from None
    for key in ("state_dict", "model", "module"):
        if isinstance(sd, dict) and key in sd and isinstance(sd[key], dict):
            sd = sd[key]
    if not isinstance(sd, dict):
        raise CheckpointError(f"checkpoint {path} holds a {type(sd).__name__}, not a state dict")
    # drop non-tensor entries (e.g. the Carvana UNet's 'mask_values')
    return {k: v for k, v in sd.items() if isinstance(v, torch.Tensor)}


def load_into(module: nn.Module, state_dict: Dict[str, torch.Tensor], name: str, path: Optional[Path] = None,
              ignore: Iterable[str] = ()) -> None:
    """Strict ``load_state_dict`` whose error lists missing/unexpected keys and shape mismatches."""
    own = module.state_dict()
    ignore = tuple(ignore)
    sd = {k: v for k, v in state_dict.items() if not k.startswith(ignore)}
    missing_keys = [k for k in own if k not in sd]
    unexpected = [k for k in sd if k not in own]
    shapes = [f"{k}: file {tuple(sd[k].shape)} vs model {tuple(own[k].shape)}"
              for k in sd if k in own and sd[k].shape != own[k].shape]
    if missing_keys or unexpected or shapes:
        def show(keys):
            return ", ".join(keys[:8]) + (f" ... (+{len(keys) - 8})" if len(keys) > 8 else "")
        parts = []
        if missing_keys:
            parts.append(f"missing keys: {show(missing_keys)}")
        if unexpected:
            parts.append(f"unexpected keys: {show(unexpected)}")
        if shapes:
            parts.append(f"shape mismatch: {show(shapes)}")
        where = f" from {path}" if path else ""
        raise CheckpointError(f"checkpoint{where} does not match {name} ({'; '.join(parts)}); "
                              f"is it the right file for this model/arch?")
    module.load_state_dict(sd, strict=True)
