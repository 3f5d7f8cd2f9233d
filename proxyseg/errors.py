"""Errors a user can act on. Every message names the problem and the fix."""


class ProxySegError(Exception):
    """Base class: tools print ``error: <message>`` and exit with ``exit_code``."""

    exit_code = 1


class UsageError(ProxySegError):
    """Bad argument, option or config value (exit code 2)."""

    exit_code = 2


class ConfigError(UsageError):
    """A config value is invalid (unknown VFM/arch/method, out-of-range parameter)."""


class WeightsNotFoundError(ProxySegError):
    """A checkpoint file is missing; the message says where to put it."""

    exit_code = 2


class CheckpointError(ProxySegError):
    """A checkpoint exists but cannot be used (truncated, wrong keys)."""

    exit_code = 2


class DatasetError(ProxySegError):
    """Data root missing, empty, or in the wrong layout; bad label values."""

    exit_code = 2


class ClassNamesError(UsageError):
    """Class file missing/empty/duplicated, or class list invalid."""


class ImageError(ProxySegError):
    """An input image cannot be decoded or is out of bounds."""

    exit_code = 2


def check_range(name: str, value: float, lo: float = None, hi: float = None) -> float:
    """Raise :class:`ConfigError` unless ``lo <= value <= hi`` (bounds optional, finite)."""
    import math

    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = f"[{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
        raise ConfigError(f"{name}={value!r} is outside {rng}")
    return v
