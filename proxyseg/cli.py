"""Shared command-line plumbing: one clear line per error, exit codes, --debug tracebacks."""
from __future__ import annotations

import os
import re
import sys
from typing import Callable, List, Optional

from .errors import ProxySegError

from .paths import REPO_ROOT  # noqa: F401  (re-exported: tools import it from here)
_MMENGINE_PREFIX = re.compile(r"^(class `\w+` in [\w/.\-]+\.py: )+")


def clean_message(exc: BaseException) -> str:
    """The user-facing message of an exception (registry wrapping prefixes removed)."""
    msg = str(exc).strip() or type(exc).__name__
    return _MMENGINE_PREFIX.sub("", msg)


def find_proxyseg_error(exc: BaseException) -> Optional[BaseException]:
    """The :class:`ProxySegError` in an exception chain (mmengine re-raises wrapped copies)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ProxySegError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def run_main(main: Callable[[Optional[List[str]]], int], argv: Optional[List[str]] = None) -> int:
    """Run ``main(argv)``; a :class:`ProxySegError` prints ``error: ...`` (no traceback unless
    ``--debug`` or ``PROXYSEG_DEBUG=1``) and exits with the error's code (2 for usage errors)."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or os.environ.get("PROXYSEG_DEBUG") == "1"
    try:
        return main(argv) or 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        err = find_proxyseg_error(e)
        if debug:
            raise
        if err is not None:
            print(f"error: {clean_message(err)}", file=sys.stderr)
            return getattr(err, "exit_code", 1)
        from .ops.memory import is_oom

        if is_oom(e):
            where = "GPU" if _is_cuda_oom(e) else "CPU"
            print(f"error: out of {where} memory even for one window; lower --window-batch, use --amp bf16, a "
                  f"smaller model.slide_crop, or (GPU) --device cpu", file=sys.stderr)
            return 1
        print(f"error: {type(e).__name__}: {clean_message(e)} (rerun with --debug for the traceback)", file=sys.stderr)
        return 1


def _is_cuda_oom(e: BaseException) -> bool:
    return type(e).__name__ == "OutOfMemoryError" or "CUDA out of memory" in str(e)


def resolve_device(device: str) -> str:
    """``cpu``/``cuda``/``cuda:N``; ``cuda`` without a GPU is a usage error."""
    import torch

    from .errors import UsageError

    if device is None or device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError(f"--device {device} requested but no CUDA GPU is available; use --device cpu")
    if not (device == "cpu" or device.startswith("cuda")):
        raise UsageError(f"--device must be cpu, cuda or cuda:N, got {device!r}")
    return device
