"""Segment an image from Python: ``Segmenter.from_config(...).segment(image, classes)``.

Call graph::

    Segmenter.segment(image, classes, background, prob_thd, max_side)
      load_image(image)                      # any path/bytes/PIL/array -> (H, W, 3) uint8 RGB
      -> resize_max_side()                   # optional: (h, w) <= max_side
      -> core.set_classes([background] + classes)   # text embeddings cached per class list
      -> core.predict_logits(normalize(pixels))     # batched sliding windows -> (Q, h, w)
      -> core.postprocess()                  # softmax, max over synonyms, prob_thd -> class 0
      -> mask resized back to (H, W) (nearest)
      -> SegmentationResult(mask, probs, classes, image)
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ClassNamesError, ConfigError, UsageError, check_range
from ..text.class_names import ClassNames, load_class_names, parse_class_names, split_class_list
from . import visualize as V
from .config_loader import PRESETS, load_config
from .image_io import DEFAULT_MAX_PIXELS, ImageSource, load_image, resize_max_side

ClassesArg = Union[None, str, os.PathLike, Sequence[str], ClassNames]
_MODEL_KEYS_IGNORED = ("type", "data_preprocessor", "init_cfg", "name_path", "amp")
_PLACEHOLDER_CLASSES = ["object"]  # a config without a class file still needs one to build


@dataclass
class SegmentationResult:
    """One segmented image.

    Attributes:
        mask: ``(H, W)`` int64 class ids (index into ``classes``) at the input's size.
        probs: ``(K, h, w)`` float32 class probabilities at the inference size (``(H, W)``
            unless ``max_side`` downscaled the image).
        classes: ``K`` display names (first synonym); ``classes[0]`` is the background class
            when ``background`` is set.
        image: ``(H, W, 3)`` uint8 RGB input (upright, as decoded).
        colors: ``(K, 3)`` uint8 class colours (background black).
        background: the background class name or ``None``. prob_thd: the threshold used.
    """

    mask: np.ndarray
    probs: np.ndarray
    classes: List[str]
    image: np.ndarray
    colors: np.ndarray
    background: Optional[str] = None
    prob_thd: float = 0.0
    meta: Dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> tuple:
        """``(H, W)``."""
        return tuple(self.mask.shape)

    def shares(self) -> Dict[str, float]:
        """Pixel fraction per class, only classes present, in class order (sums to 1)."""
        s = V.shares(self.mask, len(self.classes))
        return {name: float(s[i]) for i, name in enumerate(self.classes) if s[i] > 0}

    def overlay(self, alpha: float = 0.5) -> np.ndarray:
        """``(H, W, 3)`` uint8: the image blended with the class colours."""
        return V.overlay(self.image, self.mask, self.colors, alpha)

    def legend(self, present_only: bool = False) -> List[V.LegendEntry]:
        """``(name, (r, g, b), share)`` per class, largest share first (absent classes last, 0.0)."""
        s = V.shares(self.mask, len(self.classes))
        order = sorted(range(len(self.classes)), key=lambda i: (-s[i], i))
        return [(self.classes[i], tuple(int(c) for c in self.colors[i]), float(s[i]))
                for i in order if s[i] > 0 or not present_only]

    def legend_image(self, present_only: bool = False):
        """The legend as a PIL image (swatch, class, percentage per row)."""
        return V.legend_image(self.legend(present_only))

    def mask_png(self) -> bytes:
        """Palette PNG bytes whose pixel values are the class ids (16-bit gray beyond 256)."""
        return V.mask_png(self.mask, self.colors)

    def overlay_png(self, alpha: float = 0.5) -> bytes:
        return V.png_bytes(self.overlay(alpha))

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready summary: classes, colours, shares, size (no pixel data)."""
        h, w = self.size
        return dict(classes=list(self.classes), colors={n: V.hex_color(c) for n, c in zip(self.classes, self.colors)},
                    shares={k: round(v, 6) for k, v in self.shares().items()}, width=w, height=h,
                    background=self.background, prob_thd=self.prob_thd, **self.meta)

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)


class Segmenter:
    """A loaded model that segments images with any class list; thread-safe.

    Args:
        model: the core :class:`proxyseg.models.OpenVocabSegmenter`.
        default_classes: class file / list used when ``segment(classes=None)``.
        amp: ``'bf16'``/``'fp16'`` autocast, ``None`` for float32.
        max_side: default downscale cap for :meth:`segment` (``None``: original size).
        max_pixels: pixel limit for decoded inputs.
        name: how to call the model (config name) in results.
    """

    def __init__(self, model, *, default_classes: ClassesArg = None, amp: Optional[str] = None,
                 max_side: Optional[int] = None, max_pixels: Optional[int] = DEFAULT_MAX_PIXELS, name: str = "model"):
        model.amp = amp  # validated by the core; it autocasts the VFM (and CLIP only with model.amp_clip)
        self.model = model
        model.text.max_entries = min(model.text.max_entries, 128)  # a web server sees many class lists
        self.default_classes = self.parse_classes(default_classes) if default_classes is not None else None
        self.default_prob_thd = float(model.prob_thd)
        self.amp, self.max_side, self.max_pixels, self.name = amp, max_side, max_pixels, name
        self.model_cfg: Optional[Dict[str, Any]] = None  # the config's model dict (from_config), for compare()
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Union[str, os.PathLike, dict] = "tiny", device: str = "cpu", **overrides) -> "Segmenter":
        """Build from a config path, preset (``"tiny"``), name under ``configs/`` or loaded dict.

        ``overrides`` update the config's ``model`` dict (``slide_crop=64``, ``prob_thd=0.3``,
        ``clip=dict(checkpoint=...)``, ...); ``max_side``/``max_pixels`` go to the Segmenter.
        """
        from ..cli import resolve_device
        from ..models import build_segmenter
        from .config_loader import merge_dicts

        seg_kw = {k: overrides.pop(k) for k in ("max_side", "max_pixels") if k in overrides}
        cfg = dict(config) if isinstance(config, dict) else load_config(config)
        name = config if isinstance(config, str) and config in PRESETS else Path(cfg.get("_config_path", "config")).stem
        if "model" not in cfg or not isinstance(cfg["model"], dict):
            raise ConfigError(f"config {name} has no model dict")
        m = merge_dicts(cfg["model"], overrides)
        name_path = _resolve_name_path(m.get("name_path"), cfg.get("_config_path"))
        amp = m.get("amp")
        kwargs = {k: v for k, v in m.items() if k not in _MODEL_KEYS_IGNORED}
        device = resolve_device(device)
        # random-weight configs (tiny) are seeded so that demos and tests are reproducible
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            try:
                model = build_segmenter(classes=name_path or _PLACEHOLDER_CLASSES, device=device, **kwargs)
            except TypeError as e:
                raise ConfigError(f"config {name}: bad model option ({e})") from None
        seg = cls(model, default_classes=name_path, amp=amp, name=name, **seg_kw)
        seg.model_cfg = m
        return seg

    @property
    def device(self) -> torch.device:
        return self.model.clip_mean.device

    @staticmethod
    def parse_classes(classes: ClassesArg, background: Optional[str] = None) -> ClassNames:
        """``"cat, dog; puppy"`` | ``["cat", "dog; puppy"]`` | class file path | ClassNames -> ClassNames.

        A non-empty ``background`` is prepended as class 0.
        """
        if isinstance(classes, ClassNames):
            entries = ["; ".join(c) for c in classes.classes]
        elif isinstance(classes, os.PathLike):
            entries = ["; ".join(c) for c in load_class_names(classes).classes]
        elif isinstance(classes, str):
            entries = split_class_list(classes)
        elif classes is None:
            raise ClassNamesError("no classes given: pass classes (e.g. 'cat, dog; puppy, sky')")
        else:
            entries = list(classes)
        if background:
            entries = [str(background)] + entries
        # a file (e.g. upstream's COCO-Object file, 'bed' twice) is read as upstream reads it; a typed
        # list with a repeated name is a slip: refuse it
        typed = background or not isinstance(classes, (ClassNames, os.PathLike))
        return parse_class_names(entries, shared="error" if typed else "warn")

    def segment(self, image: ImageSource, classes: ClassesArg = None, *, background: Optional[str] = None,
                prob_thd: Optional[float] = None, max_side: Optional[int] = None,
                name: Optional[str] = None) -> SegmentationResult:
        """Segment one image.

        Args:
            image: path, bytes, PIL image or ``(H, W[, C])`` array (see :func:`load_image`).
            classes: ``"cat, dog; puppy"`` (comma-separated, ``;`` synonyms), a list of entries,
                a class file (``Path``) or ``None`` for the config's class file.
            background: a class name prepended as class 0; pixels whose best probability is
                below ``prob_thd`` go there.
            prob_thd: threshold in [0, 1]; default: the config's value when the class list has a
                background class (``background`` set, or the config's own class file), else 0.
            max_side: downscale so that the longer side is at most this for inference (the mask
                is resized back, nearest); default: the Segmenter's ``max_side``.
            name: the image's name in error messages.

        Returns:
            :class:`SegmentationResult` with ``mask (H, W)`` and ``probs (K, h, w)``.
        """
        if classes is None:
            if self.default_classes is None:
                raise ClassNamesError(f"config {self.name} has no class file (model.name_path): pass classes, "
                                      f"e.g. 'cat, dog; puppy, sky'")
            names = self.parse_classes(self.default_classes, background)
            has_bg = bool(background) or self.default_prob_thd > 0  # e.g. COCO-Object's class 0
        else:
            names = self.parse_classes(classes, background)
            has_bg = bool(background)
        if prob_thd is None:
            thd = self.default_prob_thd if has_bg else 0.0
        else:
            thd = check_range("prob_thd", prob_thd, 0.0, 1.0)
            if thd > 0 and not has_bg:
                raise UsageError(f"prob_thd={thd} needs a background class to send uncertain pixels to: "
                                 f"also pass background (e.g. 'background')")
        pixels = load_image(image, max_pixels=self.max_pixels, name=name)
        H, W = pixels.shape[:2]
        small = resize_max_side(pixels, self.max_side if max_side is None else max_side)
        x = torch.from_numpy(small).to(self.device).permute(2, 0, 1).float().div_(255)  # (3, h, w)
        with self._lock, torch.inference_mode():
            self.model.set_classes(names)
            logits = self.model.predict_logits(self.model.normalize(x[None])[0])  # (Q, h, w)
            old, self.model.prob_thd = self.model.prob_thd, thd
            try:
                probs, mask = self.model.postprocess(logits.float())  # (K, h, w), (h, w)
            finally:
                self.model.prob_thd = old
        if not bool(torch.isfinite(probs).all()):
            raise RuntimeError("the model produced non-finite probabilities; please report this with the image")
        if mask.shape != (H, W):
            mask = F.interpolate(mask[None, None].float(), size=(H, W), mode="nearest")[0, 0].long()
        k = len(names)
        return SegmentationResult(mask=mask.cpu().numpy().astype(np.int64), probs=probs.float().cpu().numpy(),
                                  classes=names.names, image=pixels, colors=V.class_colors(k, bool(has_bg)),
                                  background=names.names[0] if has_bg else None, prob_thd=thd,
                                  meta=dict(config=self.name))

    def compare(self, image: ImageSource, methods: Union[str, Sequence[str]], classes: ClassesArg = None, *,
                background: Optional[str] = None, prob_thd: Optional[float] = None, max_side: Optional[int] = None,
                name: Optional[str] = None, keep_probs: bool = True) -> Dict[str, SegmentationResult]:
        """Segment one image with several methods: ``{spec: SegmentationResult}`` in the given order.

        Args:
            methods: method specs, ``'clip,maskclip,proxyclip:dino-b8,proxyclip+fa'`` or a list
                (grammar: :mod:`proxyseg.apis.compare`). CLIP and the text embeddings are shared by
                all panels; an unknown spec or missing weights raise before anything is computed.
            classes, background, prob_thd, max_side, name: as :meth:`segment`; every panel gets the
                same class list, so each class has the same colour in every result.
            keep_probs: ``False`` drops each result's ``probs`` (a ``(K, 0, 0)`` array) to bound memory.

        Each result's ``meta`` adds ``method`` (the spec), ``seconds``, ``method_config``, ``vfm``
        and ``feature_adjust``.
        """
        from .compare import compare

        return compare(self, image, methods, classes, background=background, prob_thd=prob_thd, max_side=max_side,
                       name=name, keep_probs=keep_probs)



def _resolve_name_path(name_path: Optional[str], config_path: Optional[str]) -> Optional[Path]:
    """A config's class file: as given, relative to the cwd, the repo, or the config's folder."""
    if not name_path:
        return None
    from ..cli import REPO_ROOT

    p = Path(name_path).expanduser()
    candidates = [p] if p.is_absolute() else [p, REPO_ROOT / p] + ([Path(config_path).parent / p] if config_path else [])
    for c in candidates:
        if c.is_file():
            return c
    raise ClassNamesError(f"class file {name_path} (model.name_path) not found; looked in: "
                          f"{', '.join(str(c) for c in candidates)}")
