"""Method registry: one file per training-free dense-CLIP method (see :mod:`.base`).

    from proxyseg.methods import build_method
    m = build_method(dict(type='proxyclip', beta=1.2, gamma=3.0))
    m.needs_vfm, m.protocol['logit_scale']

Adding a method: docs/adding_a_method.md.
"""
from __future__ import annotations

import importlib

from .base import METHODS, Method, build_method, method_names, register_method

# the registered method files; a new method adds its module name here
_MODULES = ("clip", "maskclip", "proxyclip", "clearclip", "sclip", "naclip", "trident")


def _load_all() -> None:
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}")


__all__ = ["METHODS", "Method", "build_method", "method_names", "register_method"]
