"""Logit post-processing registry: ``postprocess=dict(type='pamr', dilations=(8, 16), iters=10)``.

A post-processor refines per-query logits at the output size, before the logit scale, the synonym
max and the softmax (where SCLIP and NACLIP apply PAMR). It is called as
``post(image (B, 3, H, W), logits (B, Q, H, W)) -> (B, Q, H, W)`` with the CLIP-normalised image
already resized to the logits' size.
"""
from __future__ import annotations

import difflib
from typing import Any, Callable, Dict, Optional, Sequence

import torch

from ..errors import ConfigError
from .pamr import pamr

POSTPROCESSORS: Dict[str, Callable[..., "LogitPostprocess"]] = {}


def register_postprocess(name: str):
    def deco(cls):
        POSTPROCESSORS[name] = cls
        cls.name = name
        return cls
    return deco


class LogitPostprocess:
    """Base class: ``__call__(image, logits) -> logits``; ``to_dict()`` gives its config form."""

    name: str = ""

    def __call__(self, image: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def to_dict(self) -> Dict[str, Any]:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_dict()})"


@register_postprocess("pamr")
class PAMR(LogitPostprocess):
    """:func:`proxyseg.ops.pamr.pamr` with fixed ``dilations`` and ``iters``."""

    def __init__(self, dilations: Sequence[int] = (8, 16), iters: int = 10):
        dil = tuple(dilations) if isinstance(dilations, (list, tuple)) else (dilations,)
        if not dil or any(not isinstance(d, int) or isinstance(d, bool) or d < 1 for d in dil):
            raise ConfigError(f"postprocess pamr: dilations must be positive integers, got {dilations!r}")
        if not isinstance(iters, int) or isinstance(iters, bool) or iters < 0:
            raise ConfigError(f"postprocess pamr: iters must be an integer >= 0, got {iters!r}")
        self.dilations, self.iters = dil, iters

    def __call__(self, image: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        return pamr(image, logits, self.dilations, self.iters)

    def to_dict(self) -> Dict[str, Any]:
        return dict(type=self.name, dilations=self.dilations, iters=self.iters)


def build_postprocess(spec: Any) -> Optional[LogitPostprocess]:
    """``None`` / ``NAME`` / ``dict(type=NAME, **kwargs)`` / a :class:`LogitPostprocess`."""
    if spec is None or isinstance(spec, LogitPostprocess):
        return spec
    if isinstance(spec, str):
        spec = dict(type=spec)
    if not isinstance(spec, dict) or "type" not in spec:
        raise ConfigError(f"postprocess must be None or dict(type=NAME, ...), got {spec!r}")
    spec = dict(spec)
    name = spec.pop("type")
    if name not in POSTPROCESSORS:
        hint = difflib.get_close_matches(str(name), list(POSTPROCESSORS), n=1)
        raise ConfigError(f"unknown postprocess {name!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                          + f"; valid: {', '.join(sorted(POSTPROCESSORS))}")
    try:
        return POSTPROCESSORS[name](**spec)
    except TypeError as e:
        raise ConfigError(f"postprocess {name!r}: {e}") from None
