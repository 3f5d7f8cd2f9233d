"""Atomic file writes that respect the umask.

``tempfile.mkstemp`` creates its file with mode 0600 whatever the umask; renaming it into place
would leave every result file private to its owner. These writers give the final file the mode
an ordinary ``open(path, 'w')`` would (``0666 & ~umask``, 0644 under the usual umask 022) and
replace it in one ``os.replace``: a reader sees the old file or the new one, never half a file.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["atomic_write_bytes", "atomic_write_text", "atomic_write_json", "default_file_mode"]


def default_file_mode() -> int:
    """``0o666 & ~umask``: the mode ``open(path, 'w')`` gives a new file."""
    return 0o666 & ~_umask()


def _umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux: /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (briefly process-wide)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: os.PathLike, data: bytes, *, fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` (parents created) via a temp file in the same folder + ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), default_file_mode())
            f.write(data)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def atomic_write_text(path: os.PathLike, text: str, *, fsync: bool = True) -> Path:
    """UTF-8 ``text`` to ``path``, atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"), fsync=fsync)


def atomic_write_json(path: os.PathLike, obj: Any, *, indent: int = 2, fsync: bool = True) -> Path:
    """``obj`` as JSON (strict: NaN/inf refused, trailing newline) to ``path``, atomically."""
    text = json.dumps(obj, indent=indent, allow_nan=False) + "\n"
    return atomic_write_text(path, text, fsync=fsync)
