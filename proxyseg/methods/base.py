"""The method interface: what replaces CLIP's last transformer block.

A method is one registered class in ``proxyseg/methods/<name>.py``. It declares what it needs
(``needs_vfm``), its parameters with defaults (``params``) and its own protocol values
(``protocol``: logit scale, windows, ... as its paper uses them), and implements
:meth:`Method.last_block` as a pure tensor function of the block's weights. Nothing outside this
package compares a method's name: tools, results and preflight ask the method object.
"""
from __future__ import annotations

import difflib
from typing import Any, ClassVar, Dict, Optional, Tuple, Type

import torch
import torch.nn as nn

from ..errors import ConfigError, check_range

METHODS: Dict[str, Type["Method"]] = {}


def register_method(cls: Type["Method"]) -> Type["Method"]:
    """Class decorator: make ``cls`` selectable as ``method=dict(type=cls.name, ...)``."""
    if not cls.name:
        raise TypeError(f"{cls.__name__} needs a `name`")
    METHODS[cls.name] = cls
    return cls


class Method:
    """Base class of a dense-CLIP method.

    Class attributes:
        name: registry key (``method=dict(type=name)``).
        needs_vfm: the method reads features of a vision foundation model (``vfm_feats``).
        params: parameters and their defaults (``beta``, ``gamma``, ...); a config sets them as
            ``method=dict(type=name, beta=1.0)``.
        param_ranges: ``{param: (lo, hi)}`` checked at construction (``None`` = unbounded).
        protocol: the method's own evaluation defaults (``logit_scale``, ``slide_crop``, ...),
            used by the paper-protocol configs.
        reference: the reference code this method reproduces (repository and file).
        image_level: the method needs the whole image at once (Trident): the segmenter calls
            :meth:`image_features` instead of its per-window path.
        guide: default config of a second, image-level VFM the method reads (Trident: SAM),
            overridden by the model config's ``guide_vfm``; ``None``: no second VFM.
    """

    name: ClassVar[str] = ""
    needs_vfm: ClassVar[bool] = False
    params: ClassVar[Dict[str, Any]] = {}
    param_ranges: ClassVar[Dict[str, Tuple[Optional[float], Optional[float]]]] = {}
    protocol: ClassVar[Dict[str, Any]] = {}
    reference: ClassVar[str] = ""
    image_level: ClassVar[bool] = False
    guide: ClassVar[Optional[Dict[str, Any]]] = None

    def __init__(self, **params: Any):
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            valid = ", ".join(self.params) or "none"
            hint = difflib.get_close_matches(unknown[0], list(self.params), n=1)
            raise ConfigError(f"method {self.name!r} has no parameter {unknown[0]!r}"
                              + (f" (did you mean {hint[0]!r}?)" if hint else "") + f"; its parameters: {valid}")
        values = dict(self.params)
        values.update(params)
        for key, (lo, hi) in self.param_ranges.items():
            values[key] = check_range(key, values[key], lo, hi)
        self.values: Dict[str, Any] = values

    def __getattr__(self, key: str) -> Any:
        values = self.__dict__.get("values", {})
        if key in values:
            return values[key]
        raise AttributeError(f"{type(self).__name__} has no attribute {key!r}")

    # ---- what a method computes ------------------------------------------------------------
    def last_block(self, block: nn.Module, x: torch.Tensor, *, grid: Tuple[int, int],
                   vfm_feats: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, Tuple[int, int]]:
        """Replace CLIP's last block.

        Args:
            block: the last open_clip residual attention block.
            x: ``(B, 1+N, C)`` residual stream entering it (class token first).
            grid: ``(gh, gw)`` CLIP patch grid, ``N = gh * gw``.
            vfm_feats: ``(B, C', h, w)`` VFM features when ``needs_vfm``.

        Returns:
            patch tokens ``(B, N', C)`` before ``ln_post`` and their grid ``(h', w')``.
        """
        raise NotImplementedError

    def image_features(self, segmenter: nn.Module, image: torch.Tensor) -> torch.Tensor:
        """Image-level methods only (``image_level = True``): the whole image's features.

        Args:
            segmenter: the :class:`~proxyseg.models.OpenVocabSegmenter` (its ``clip``, ``vfm``,
                ``guide_vfm``, ``slide_crop``/``slide_stride``, ``window_batch``, ``unnormalize``).
            image: ``(3, H, W)`` CLIP-normalised.

        Returns:
            ``(D, h, w)`` projected features (after ``ln_post`` and ``proj``), not normalised.
        """
        raise NotImplementedError(f"method {self.name!r} is not image-level")

    # ---- description -----------------------------------------------------------------------
    def to_dict(self) -> Dict[str, Any]:
        """``dict(type=name, **params)``: the config form of this method."""
        return dict(type=self.name, **self.values)

    def label(self) -> str:
        """Short label for tables: ``name`` plus parameters that differ from the defaults."""
        diff = [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                for k, v in self.values.items() if v != self.params[k]]
        return self.name + (f"({', '.join(diff)})" if diff else "")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.values.items())
        return f"{type(self).__name__}({args})"


def build_method(spec: Any, **fallback: Any) -> Method:
    """A :class:`Method` from ``NAME``, ``dict(type=NAME, **params)`` or a ``Method``.

    ``fallback``: parameters given outside the method dict (the legacy top-level ``beta=``,
    ``gamma=`` of a model config); each applies only if the method declares it and the dict does
    not set it.
    """
    from . import _load_all

    _load_all()
    if isinstance(spec, Method):
        return spec
    if isinstance(spec, str):
        spec = dict(type=spec)
    if not isinstance(spec, dict) or "type" not in spec:
        raise ConfigError(f"method must be a name or dict(type=NAME, ...), got {spec!r}")
    spec = dict(spec)
    name = spec.pop("type")
    if name not in METHODS:
        hint = difflib.get_close_matches(str(name), list(METHODS), n=1)
        raise ConfigError(f"unknown method {name!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                          + f"; valid: {', '.join(sorted(METHODS))}")
    cls = METHODS[name]
    for key, value in fallback.items():
        if key in cls.params and key not in spec and value is not None:
            spec[key] = value
    return cls(**spec)


def method_names() -> list:
    from . import _load_all

    _load_all()
    return sorted(METHODS)
