"""VFM contract and registry.

Every VFM is an ``nn.Module`` with ``.model`` (the underlying network), ``.patch_size``,
``.embed_dim`` and ``forward(pixels) -> (B, C, h, w)`` where ``pixels`` is ``(B, 3, H, W)`` RGB in
``[0, 1]``: each VFM applies its own normalisation and resizing.
"""
from __future__ import annotations

import difflib
from typing import Callable, Dict, Optional, Sequence, Tuple, Type, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...errors import ConfigError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

VFM_REGISTRY: Dict[str, Type["VFM"]] = {}


def register_vfm(name: str) -> Callable[[Type["VFM"]], Type["VFM"]]:
    """Class decorator: make a VFM buildable as ``dict(type=name, ...)``."""

    def deco(cls):
        VFM_REGISTRY[name] = cls
        cls.vfm_type = name
        return cls

    return deco


def _unknown(kind: str, name: str, valid: Sequence[str]) -> ConfigError:
    close = difflib.get_close_matches(str(name), list(valid), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ConfigError(f"unknown {kind} {name!r}{hint}; valid: {', '.join(valid)}")


def as_size(size: Union[None, int, Sequence[int]], name: str = "input_size") -> Optional[Tuple[int, int]]:
    """``None``, ``n`` or ``(h, w)`` (a list from a config too) -> ``None`` or ``(h, w)``."""
    if size is None:
        return None
    if isinstance(size, int):
        size = (size, size)
    try:
        h, w = (int(s) for s in size)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be an int or (height, width), got {size!r}") from None
    if h <= 0 or w <= 0:
        raise ConfigError(f"{name} must be positive, got {size!r}")
    return h, w


class VFM(nn.Module):
    """Base VFM: normalise (and optionally resize) ``[0, 1]`` pixels, then ``features``.

    Subclasses set ``ARCHS`` (arch -> model name) and implement ``build`` and ``features``.
    """

    ARCHS: Dict[str, str] = {}
    vfm_type = "?"
    LOCAL_ONLY = False  # weights come from a local file only (no hub download)

    def __init__(self, model: nn.Module, patch_size: int, embed_dim: int, *,
                 mean: Optional[Tuple[float, ...]] = IMAGENET_MEAN, std: Optional[Tuple[float, ...]] = IMAGENET_STD,
                 input_size: Optional[Tuple[int, int]] = None, arch: str = ""):
        super().__init__()
        self.model = model
        self.patch_size = int(patch_size)
        self.embed_dim = int(embed_dim)
        self.arch = arch
        self.input_size = tuple(input_size) if input_size else None
        self.normalize = mean is not None
        if self.normalize:
            self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
            self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    @classmethod
    def resolve_arch(cls, arch: str) -> str:
        if arch not in cls.ARCHS:
            raise _unknown(f"arch for VFM {cls.vfm_type!r}:", arch, list(cls.ARCHS))
        return cls.ARCHS[arch]

    @classmethod
    def default_arch(cls) -> str:
        """The arch ``build`` uses when a config gives none (its ``arch=`` default)."""
        import inspect

        default = inspect.signature(cls.build).parameters["arch"].default
        return next(iter(cls.ARCHS)) if default is inspect.Parameter.empty else default

    @classmethod
    def weight_aliases(cls, arch: str) -> list:
        """Other file names (original releases) accepted for ``arch``'s weights."""
        return []

    @classmethod
    def weight_stems(cls, arch: str) -> Optional[list]:
        """File names searched for ``arch``'s weights (``None``: not a single file, e.g. a folder)."""
        return [cls.resolve_arch(arch), *cls.weight_aliases(arch)]

    @classmethod
    def weight_source(cls, arch: str) -> str:
        """Where to download ``arch``'s weights (for error messages)."""
        return f"https://huggingface.co/timm/{cls.resolve_arch(arch)}"

    @classmethod
    def build(cls, arch: str, *, pretrained: bool = True, checkpoint: Optional[str] = None, **kwargs) -> "VFM":
        raise NotImplementedError

    def prepare(self, pixels: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` in [0, 1] -> the network's input (normalised, resized)."""
        x = pixels
        if self.normalize:
            x = (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)
        if self.input_size is not None and tuple(x.shape[-2:]) != self.input_size:
            x = F.interpolate(x, size=self.input_size, mode="bilinear", align_corners=False)
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Prepared input -> ``(B, C, h, w)``."""
        raise NotImplementedError

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` RGB in [0, 1] -> ``(B, C, h, w)`` features."""
        return self.features(self.prepare(pixels))

    def out_grid(self, height: int, width: int) -> Tuple[int, int]:
        """Feature grid for an ``height x width`` window."""
        h, w = self.input_size or (height, width)
        return h // self.patch_size, w // self.patch_size


def build_vfm(cfg: dict, pretrained: bool = True) -> VFM:
    """Build a registered VFM from ``dict(type=..., arch=..., checkpoint=None, **options)``.

    ``pretrained=False`` builds the same architecture with random weights (tests, benchmarks);
    ``model_kwargs=dict(depth=2, embed_dim=32, ...)`` shrinks it.
    """
    from . import _load_all

    _load_all()  # registers the built-in VFMs

    if not isinstance(cfg, dict) or "type" not in cfg:
        raise ConfigError(f"a VFM is given as dict(type=..., arch=...), got {cfg!r}")
    cfg = dict(cfg)
    name = cfg.pop("type")
    if name not in VFM_REGISTRY:
        raise _unknown("VFM", name, sorted(VFM_REGISTRY))
    return VFM_REGISTRY[name].build(pretrained=pretrained, **cfg)
