"""Segment your own images (``Segmenter``), evaluate configs (``evaluate``), train (``train``).

>>> from proxyseg.apis import Segmenter, evaluate
>>> seg = Segmenter.from_config("tiny")          # or a config name/path with real weights
>>> res = seg.segment("photo.jpg", classes="cat, dog; puppy, sky", background="background")
>>> res.mask.shape, res.shares(), res.overlay().shape

Names are imported on first use, so the command-line tools check their arguments before torch
or mmseg is loaded.
"""
from importlib import import_module

_WHERE = {
    "available_configs": "config_loader", "load_config": "config_loader", "resolve_config": "config_loader",
    "DEFAULT_MAX_PIXELS": "image_io", "ImageTooLargeError": "image_io", "load_image": "image_io",
    "resize_max_side": "image_io", "safe_stem": "image_io",
    "SegmentationResult": "inference", "Segmenter": "inference",
    "class_colors": "visualize", "legend_image": "visualize", "mask_png": "visualize", "overlay": "visualize",
    "evaluate": "evaluation", "train": "training",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'proxyseg.apis' has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value
