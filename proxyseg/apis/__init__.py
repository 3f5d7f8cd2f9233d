"""Segment your own images: Python API (``Segmenter``), image loading, pictures of results.

>>> from proxyseg.apis import Segmenter
>>> seg = Segmenter.from_config("tiny")          # or a config name/path with real weights
>>> res = seg.segment("photo.jpg", classes="cat, dog; puppy, sky", background="background")
>>> res.mask.shape, res.shares(), res.overlay().shape
"""
from .config_loader import available_configs, load_config, resolve_config
from .image_io import DEFAULT_MAX_PIXELS, ImageTooLargeError, load_image, resize_max_side, safe_stem
from .inference import SegmentationResult, Segmenter
from .visualize import class_colors, legend_image, mask_png, overlay

__all__ = ["Segmenter", "SegmentationResult", "load_image", "resize_max_side", "safe_stem", "ImageTooLargeError",
           "DEFAULT_MAX_PIXELS", "load_config", "resolve_config", "available_configs", "class_colors", "overlay",
           "legend_image", "mask_png"]
