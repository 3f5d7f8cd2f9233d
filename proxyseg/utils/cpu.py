"""CPU capabilities that change which dtype is fastest. Pure Python + torch; no mmseg imports.

bf16 autocast on a CPU without bf16 instructions (AVX512-BF16 or AMX) emulates every bf16
matmul in fp32 plus conversions: on the AMD Zen 3 of issue 16 it ran at 0.36x the speed of
fp32. docs/benchmarks.md ("bf16 on CPUs") has the measured numbers.
"""
from __future__ import annotations

import functools
import warnings
from pathlib import Path
from typing import FrozenSet, Optional

BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> Optional[FrozenSet[str]]:
    """The CPU feature flags from ``/proc/cpuinfo`` (``None`` where that file does not exist)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.split(":", 1)[0].strip() in ("flags", "Features"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def torch_cpu_capability() -> str:
    """torch's CPU kernel level: ``'AVX512'``, ``'AVX2'``, ``'DEFAULT'``, ... (``''`` if unknown)."""
    try:
        import torch

        return str(torch.backends.cpu.get_cpu_capability())
    except Exception:
        return ""


def cpu_has_bf16() -> Optional[bool]:
    """``True`` when the CPU has native bf16 instructions, ``False`` when not, ``None`` if unknown.

    Linux: ``avx512_bf16`` or ``amx_bf16`` in ``/proc/cpuinfo``. Elsewhere: torch's capability
    ``AMX`` means yes; ARM (``Features`` with ``bf16``) means yes; otherwise unknown.
    """
    flags = cpu_flags()
    cap = torch_cpu_capability().upper()
    if "AMX" in cap:
        return True
    if flags is None:
        return None
    if flags & set(BF16_FLAGS) or "bf16" in flags:  # x86 flags / aarch64 Features
        return True
    return False


@functools.lru_cache(maxsize=None)
def _warn_once(message: str) -> None:
    warnings.warn(message, RuntimeWarning, stacklevel=4)


def warn_if_slow_bf16(dtype_name: Optional[str], device_type: str) -> bool:
    """Warn once per process if ``bf16`` autocast is about to run on a CPU without bf16 instructions.

    Returns ``True`` when it warned (or would have: the warning is shown once).
    """
    if dtype_name != "bf16" or device_type != "cpu" or cpu_has_bf16() is not False:
        return False
    _warn_once("bf16 autocast on this CPU: it has no bf16 instructions (avx512_bf16/amx_bf16), so bf16 "
               f"runs slower than fp32 here (0.36x on an AMD Zen 3; torch CPU capability "
               f"{torch_cpu_capability() or 'unknown'}); drop --amp bf16 / amp='bf16' for speed "
               "(docs/benchmarks.md, 'bf16 on CPUs')")
    return True
