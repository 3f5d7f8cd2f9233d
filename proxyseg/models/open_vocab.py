"""The core open-vocabulary segmenter: image -> per-class logits -> mask.

``predict_logits(image)``: (under ``autocast()`` when ``amp`` is set) ``slide_inference`` over
batched windows -> ``forward_windows(windows)``: VFM features (``proxyclip``) + dense CLIP ->
L2-normalise -> ``@ text.T`` (or feature adjustment), fp32 -> bilinear to window size, done while
merging straight into each window's crop region -> bilinear to ``out_size`` -> optional logit
post-processing (``postprocess=dict(type='pamr')``, on the image resized to ``out_size``).
``postprocess(logits)``: ``softmax(logit_scale * logits)``
over queries -> max over each class's synonyms -> argmax; max prob < ``prob_thd`` -> class 0.
"""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
import functools
import os
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..errors import ConfigError, check_range
from ..ops.feature_adjust import feature_adjust_logits
from ..ops.memory import split_on_oom
from ..ops.postprocess import LogitPostprocess, build_postprocess
from ..ops.slide import lcm, slide_inference
from ..text.class_names import ClassNames, load_class_names, parse_class_names
from ..text.classifier import TextClassifier
from ..text.templates import TEMPLATES
from ..methods import Method, build_method
from .clip_dense import DenseCLIP, MethodSpec
from .clip_factory import OPENAI_MEAN, OPENAI_STD, build_clip
from .vfm import VFM, build_vfm

ClassSpec = Union[str, os.PathLike, Sequence[str], ClassNames]
AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def as_class_names(classes: ClassSpec) -> ClassNames:
    """A class file path, a list of entries (``"dog; puppy"``) or :class:`ClassNames`."""
    if isinstance(classes, ClassNames):
        return classes
    if isinstance(classes, (str, os.PathLike)):
        return load_class_names(classes)
    return parse_class_names(list(classes))


class OpenVocabSegmenter(nn.Module):
    """Training-free OVSS model (ProxyCLIP, MaskCLIP, plain CLIP, ...).

    Args:
        clip_model: an open_clip ``CLIP``; tokenizer: its tokenizer.
        vfm: a :class:`VFM` (required by methods with ``needs_vfm``, e.g. ``proxyclip``).
        classes: class file / list / :class:`ClassNames`.
        method: a registered method (:mod:`proxyseg.methods`): name, ``dict(type=NAME, **params)`` or a
            :class:`~proxyseg.methods.Method`.
        beta, gamma: shorthand for ProxyCLIP's parameters (``method=dict(type='proxyclip', beta=...)``).
        logit_scale: softmax temperature. prob_thd: background
            threshold in [0, 1]. feature_adjust: CLIP-Surgery-style adjustment.
        slide_crop, slide_stride: window size/step (``None`` crop: whole image at once).
        window_batch: windows per forward.
        templates: name in ``TEMPLATES`` or a list of ``'{}'`` format strings.
        text_cache_dir: disk cache for text embeddings (``None``: memory only).
        amp: ``None`` (fp32), ``'bf16'`` or ``'fp16'``: autocast in ``predict_logits`` (CPU and
            CUDA) of the VFM (most of the FLOPs) and, with ``amp_clip=True``, of CLIP too (faster on
            a GPU, a little less agreement with fp32); PAM weights, the text head and the merge
            stay fp32.
        amp_clip: also autocast the CLIP encoder when ``amp`` is set.
        guide_vfm: a second, image-level VFM for methods with a ``guide`` (Trident: SAM).
        area_thd: SCLIP's small-class removal (see :func:`drop_small_classes`); ``None``/0: off.
        postprocess: logit refinement (:mod:`proxyseg.ops.postprocess`), e.g.
            ``dict(type='pamr', dilations=(8, 16), iters=10)``; ``None`` (default) = off. Runs in
            ``predict_logits`` on the per-query logits at the output size, before the logit scale,
            synonym max and softmax, with the CLIP-normalised image resized (bilinear) to that size,
            where SCLIP and NACLIP apply PAMR. Kept as ``self.logit_postprocess`` (``postprocess``
            is the method that turns logits into probabilities and a mask).
    """

    def __init__(self, clip_model: nn.Module, tokenizer, vfm: Optional[VFM] = None, *, classes: ClassSpec,
                 method: MethodSpec = "proxyclip", beta: Optional[float] = None, gamma: Optional[float] = None,
                 logit_scale: float = 40.0,
                 prob_thd: float = 0.0, feature_adjust: bool = False, slide_crop: Optional[int] = 336,
                 slide_stride: int = 112, window_batch: int = 8, templates: Union[str, Sequence[str]] = "openai_imagenet",
                 text_cache_dir: Optional[os.PathLike] = None, background_idx: int = 0,
                 amp: Optional[str] = None, amp_clip: bool = False, guide_vfm: Optional[VFM] = None,
                 area_thd: Optional[float] = None, postprocess: Optional[dict] = None):
        super().__init__()
        method = build_method(method, beta=beta, gamma=gamma)
        if method.needs_vfm and vfm is None:
            raise ConfigError(f"method {method.name!r} needs a VFM: set model.vfm=dict(type='dino', arch='b8')")
        check_range("prob_thd", prob_thd, 0.0, 1.0)
        check_range("logit_scale", logit_scale, 0.0)
        if slide_crop is not None:
            check_range("slide_crop", slide_crop, 1)
            check_range("slide_stride", slide_stride, 1)
            if slide_stride > slide_crop:
                raise ConfigError(f"slide_stride={slide_stride} > slide_crop={slide_crop} would leave pixels uncovered")
        if isinstance(templates, str):
            if templates not in TEMPLATES:
                raise ConfigError(f"unknown templates {templates!r}; valid: {', '.join(TEMPLATES)}")
            templates = TEMPLATES[templates]
        self.clip_model = clip_model  # registered once; the dense view below shares its modules
        self.__dict__["_dense_clip"] = DenseCLIP(clip_model)
        self.vfm = vfm if method.needs_vfm else None
        if method.image_level and feature_adjust:
            raise ConfigError(f"feature_adjust works on windows; method {method.name!r} is image-level: "
                              "set model.feature_adjust=False")
        if method.guide is not None and guide_vfm is None:
            raise ConfigError(f"method {method.name!r} needs a guide VFM: set model.guide_vfm={method.guide!r}")
        self.guide_vfm = guide_vfm if method.guide is not None else None
        self.area_thd = float(check_range("area_thd", area_thd or 0.0, 0.0, 1.0))
        self.method: Method = method
        self.logit_scale, self.prob_thd = float(logit_scale), float(prob_thd)
        self.feature_adjust = bool(feature_adjust)
        self.slide_crop, self.slide_stride = slide_crop, slide_stride
        self.window_batch = max(int(window_batch), 1)
        self.background_idx = background_idx
        self.amp = amp
        self.amp_clip = bool(amp_clip)
        self.logit_postprocess: Optional[LogitPostprocess] = build_postprocess(postprocess)
        self.text = TextClassifier(clip_model, tokenizer, templates, cache_dir=text_cache_dir)
        # OpenAI's exact mean/std, as upstream un-normalises for the VFM (and its demo.py normalises)
        self.register_buffer("clip_mean", torch.tensor(OPENAI_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("clip_std", torch.tensor(OPENAI_STD).view(1, 3, 1, 1), persistent=False)
        # buffers, so that model.to(device) moves them and no forward copies the text per window batch
        self.register_buffer("query_features", None, persistent=False)
        self.register_buffer("query_idx", None, persistent=False)
        self.set_classes(classes)

    @property
    def clip(self) -> DenseCLIP:
        """The dense view of ``clip_model.visual`` (not a separate submodule: no duplicate state)."""
        return self.__dict__["_dense_clip"]

    # ---- classes ---------------------------------------------------------------------------
    def set_classes(self, classes: ClassSpec) -> ClassNames:
        """Switch the vocabulary; text embeddings are cached per class list."""
        names = as_class_names(classes)
        emb = self.text.encode(names.queries)
        dev = self.clip_mean.device
        self.class_names = names
        self.query_features = emb.to(dev)  # (Q, D)
        self.query_idx = torch.tensor(names.query_idx, device=dev)
        return names

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def pad_multiple(self) -> int:
        sizes = [self.clip.patch_size[0], self.clip.patch_size[1]]
        if self.vfm is not None:
            sizes.append(self.vfm.patch_size)
        return lcm(*sizes)

    @property
    def amp(self) -> Optional[str]:
        return self._amp

    @amp.setter
    def amp(self, value: Optional[str]) -> None:
        if value in ("fp32", "none", ""):
            value = None
        if value is not None and value not in AMP_DTYPES:
            raise ConfigError(f"amp must be None, 'bf16' or 'fp16', got {value!r}")
        self._amp = value

    def autocast(self, device_type: Optional[str] = None):
        """Autocast context for ``self.amp`` on ``device_type`` (default: the model's); no-op for fp32."""
        if self._amp is None:
            return contextlib.nullcontext()
        from ..utils.cpu import warn_if_slow_bf16  # bf16 without bf16 instructions: slower than fp32, warn once
        warn_if_slow_bf16(self._amp, device_type or self.clip_mean.device.type)
        return torch.autocast(device_type or self.clip_mean.device.type, dtype=AMP_DTYPES[self._amp])

    # ---- forward ---------------------------------------------------------------------------
    def normalize(self, pixels: torch.Tensor) -> torch.Tensor:
        """RGB in [0, 1] -> CLIP-normalised."""
        return (pixels - self.clip_mean.to(pixels.dtype)) / self.clip_std.to(pixels.dtype)

    def unnormalize(self, x: torch.Tensor) -> torch.Tensor:
        """CLIP-normalised -> RGB in [0, 1]."""
        return x * self.clip_std.to(x.dtype) + self.clip_mean.to(x.dtype)

    def forward_windows(self, windows: torch.Tensor, resize: bool = True) -> torch.Tensor:
        """``(n, 3, h, w)`` CLIP-normalised windows -> ``(n, Q, h, w)`` cosine logits.

        ``resize=False``: the logits on the feature grid ``(n, Q, gh, gw)`` (``predict_logits``
        resizes them while merging, see ``slide_inference(resize_windows=True)``).
        """
        vfm_feats = self.vfm_features(windows)
        with self.clip_autocast(windows.device.type):
            x, grid = self.clip.trunk(windows)
        return self.window_logits(windows, x, grid, vfm_feats, resize=resize)

    def vfm_features(self, windows: torch.Tensor) -> Optional[torch.Tensor]:
        """``(n, 3, h, w)`` CLIP-normalised windows -> the VFM's ``(n, C, h', w')`` (``None`` without a VFM)."""
        return self.vfm(self.unnormalize(windows)) if self.vfm is not None else None

    def clip_autocast(self, device_type: str):
        """With ``amp`` set, CLIP runs in fp32 unless ``amp_clip`` (bf16 CLIP moves the argmax most)."""
        if self._amp and not self.amp_clip:
            return torch.autocast(device_type, enabled=False)
        return contextlib.nullcontext()

    def window_logits(self, windows: torch.Tensor, x: torch.Tensor, grid: Tuple[int, int],
                      vfm_feats: Optional[torch.Tensor], resize: bool = True) -> torch.Tensor:
        """The method's last block on CLIP's trunk output ``x`` ``(n, 1+N, C)`` -> cosine logits.

        Split from :meth:`forward_windows` so that several models sharing one CLIP (a sweep's
        shared pass) compute the trunk once and read it out each with its own method.
        """
        h, w = windows.shape[-2:]
        with self.clip_autocast(windows.device.type):
            out = self.clip.readout(x, grid, self.method, vfm_feats=vfm_feats, return_cls=self.feature_adjust)
        feats, cls = out if self.feature_adjust else (out, None)
        n, d, gh, gw = feats.shape
        with torch.autocast(windows.device.type, enabled=False):  # the text head stays fp32 under amp
            feats = F.normalize(feats.float().flatten(2).transpose(1, 2), dim=-1)  # (n, hw, D)
            text = self.query_features.to(feats.device)
            if self.feature_adjust:
                logits = feature_adjust_logits(feats, F.normalize(cls.float(), dim=-1), text)
            else:
                logits = feats @ text.t()
            logits = logits.transpose(1, 2).reshape(n, -1, gh, gw)
            if not resize:
                return logits
            return F.interpolate(logits, size=(h, w), mode="bilinear", align_corners=False)

    @torch.inference_mode()
    def predict_logits(self, image: torch.Tensor, out_size: Optional[Tuple[int, int]] = None,
                       progress=None) -> torch.Tensor:
        """``(3, H, W)`` CLIP-normalised image -> ``(Q, H', W')`` logits (``out_size`` or H, W)."""
        if self.method.image_level:
            return self.image_level_logits(image, out_size)
        crop, stride = self.slide_params(image)
        with self.autocast(image.device.type):
            fwd = split_on_oom(functools.partial(self.forward_windows, resize=False))
            logits = slide_inference(image, fwd, crop=crop, stride=stride, pad_multiple=self.pad_multiple,
                                     window_batch=self.window_batch, progress=progress, resize_windows=True)
        return self.finish_logits(logits, image, out_size)

    def slide_params(self, image: torch.Tensor) -> Tuple[Tuple[int, int], Tuple[int, int]]:
        """Window ``crop`` and ``stride`` ``(h, w)`` for ``image`` (the whole image without a crop)."""
        if self.slide_crop is None:
            return tuple(image.shape[-2:]), tuple(image.shape[-2:])
        return (self.slide_crop,) * 2, (self.slide_stride,) * 2

    def finish_logits(self, logits: torch.Tensor, image: torch.Tensor,
                      out_size: Optional[Tuple[int, int]] = None) -> torch.Tensor:
        """Merged ``(Q, H, W)`` logits -> resized to ``out_size`` (and post-processed)."""
        if out_size is not None and tuple(out_size) != tuple(logits.shape[-2:]):
            logits = F.interpolate(logits[None], size=tuple(out_size), mode="bilinear", align_corners=False)[0]
        if self.logit_postprocess is not None:
            logits = self.refine_logits(image, logits)
        return logits

    def image_level_logits(self, image: torch.Tensor, out_size: Optional[Tuple[int, int]] = None) -> torch.Tensor:
        """Image-level methods (Trident): ``method.image_features`` -> cosine logits -> bilinear
        straight to ``out_size`` (or the image's size). ``(3, H, W)`` -> ``(Q, H', W')`` float32."""
        with self.autocast(image.device.type):
            feats = self.method.image_features(self, image)  # (D, h, w)
        d, h, w = feats.shape
        with torch.autocast(image.device.type, enabled=False):
            feats = F.normalize(feats.float().reshape(d, h * w).t(), dim=-1)  # (hw, D)
            logits = (feats @ self.query_features.t()).t().reshape(1, -1, h, w)
            size = tuple(out_size) if out_size is not None else tuple(image.shape[-2:])
            return F.interpolate(logits, size=size, mode="bilinear", align_corners=False)[0]

    def refine_logits(self, image: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        """Apply ``logit_postprocess`` to ``(Q, H', W')`` logits with the ``(3, H, W)`` image resized to H', W'."""
        img = image[None].float()
        if tuple(img.shape[-2:]) != tuple(logits.shape[-2:]):
            img = F.interpolate(img, size=tuple(logits.shape[-2:]), mode="bilinear", align_corners=False)
        return self.logit_postprocess(img, logits[None].float())[0]

    def postprocess(self, logits: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(Q, H, W)`` logits -> class probabilities ``(K, H, W)`` and mask ``(H, W)`` (int64).

        ``softmax(logit_scale * logits)`` over queries, max over each class's synonyms, argmax;
        pixels whose best probability is below ``prob_thd`` get ``background_idx``. With
        ``area_thd`` set, :func:`drop_small_classes` runs before the argmax (SCLIP).
        """
        probs = (logits.float() * self.logit_scale).softmax(dim=0)
        k = self.num_classes
        if k != probs.shape[0]:
            idx = self.query_idx.to(probs.device)
            cls_probs = probs.new_zeros((k, *probs.shape[1:]))
            cls_probs.scatter_reduce_(0, idx.view(-1, 1, 1).expand_as(probs), probs, "amax", include_self=True)
            probs = cls_probs
        if self.area_thd > 0:
            probs = drop_small_classes(probs, self.area_thd, self.background_idx)
        best, mask = probs.max(dim=0)
        if self.prob_thd > 0:
            mask[best < self.prob_thd] = self.background_idx
        return probs, mask

    @torch.inference_mode()
    def predict(self, image: torch.Tensor, out_size: Optional[Tuple[int, int]] = None):
        """Convenience: ``(3, H, W)`` normalised image -> ``(probs (K, H, W), mask (H, W))``."""
        return self.postprocess(self.predict_logits(image, out_size))


_SHARED_MODELS: contextvars.ContextVar = contextvars.ContextVar("proxyseg_shared_models", default=None)


@contextlib.contextmanager
def shared_models():
    """Within this block, :func:`build_segmenter` builds each distinct CLIP / VFM config once and
    hands the same module to every segmenter (a sweep's shared pass). Scoped: nothing outlives it."""
    token = _SHARED_MODELS.set({})
    try:
        yield
    finally:
        _SHARED_MODELS.reset(token)


def _shared(kind: str, cfg, build):
    """``build()``, or the module built before for the same config from the same random state.

    The key includes the CPU random state before the build and a hit restores the state after
    it, so random-weight models (tests, benchmarks) come out exactly as if each segmenter had
    been built alone from that state.
    """
    cache = _SHARED_MODELS.get()
    if cache is None:
        return build()
    state = torch.get_rng_state()
    key = (kind, repr(cfg), hashlib.sha1(state.numpy().tobytes()).hexdigest())
    if key in cache:
        obj, after = cache[key]
        torch.set_rng_state(after)
        return obj
    obj = build()
    cache[key] = (obj, torch.get_rng_state())
    return obj


def drop_small_classes(probs: torch.Tensor, area_thd: float, background_idx: int = 0) -> torch.Tensor:
    """SCLIP's ``area_thd`` (wangf3014/SCLIP:clip_segmentor.py ``postprocess_result``).

    With ``pred = argmax_k probs``, a foreground class ``k`` is kept when the pixels predicted as
    ``k`` are *more* than ``area_thd`` x the pixels predicted as any foreground class (not the
    image's pixels: SCLIP's comment says "area < area_thd", its code divides by the foreground
    total); the probabilities of the other foreground classes are set to 0, so their pixels go to
    the next best class (usually background). Applied before the argmax and ``prob_thd``.

    ``probs (K, H, W)`` -> a new ``(K, H, W)`` (the background row unchanged).
    """
    k = probs.shape[0]
    area = torch.bincount(probs.argmax(dim=0).flatten(), minlength=k).to(probs.dtype)  # (K,)
    fg = torch.ones(k, dtype=torch.bool, device=probs.device)
    fg[background_idx] = False
    keep = (area > area_thd * area[fg].sum()) | ~fg
    return probs * keep.to(probs.dtype).view(-1, 1, 1)


def build_segmenter(*, clip: dict, vfm: Optional[dict] = None, method: MethodSpec = "proxyclip", classes: ClassSpec,
                    pretrained: bool = True, device: Union[str, torch.device] = "cpu",
                    text_cache_dir: Optional[os.PathLike] = "default", **kwargs) -> OpenVocabSegmenter:
    """Build an :class:`OpenVocabSegmenter` from config dicts.

    Args:
        clip: ``dict(name='ViT-B-16', pretrained='openai', checkpoint=None, model_cfg=None)``.
        vfm: ``dict(type='dino', arch='b8', checkpoint=None, ...)`` (built only if the method needs a VFM).
        pretrained: ``False`` builds random weights (tests/benchmarks; ``clip.pretrained`` too).
        text_cache_dir: ``'default'`` = ``~/.cache/proxyseg/text``, ``None`` = memory only.
        kwargs: forwarded to :class:`OpenVocabSegmenter`.
    """
    from ..weights import cache_dir

    clip = dict(clip)
    if not pretrained:
        clip["pretrained"] = None
    clip_model, tokenizer = _shared("clip", clip, lambda: build_clip(**clip))
    method = build_method(method, beta=kwargs.pop("beta", None), gamma=kwargs.pop("gamma", None))
    vfm_model = None
    if method.needs_vfm and vfm is not None:
        vfm_model = _shared("vfm", (vfm, pretrained), lambda: build_vfm(vfm, pretrained=pretrained))
    guide = kwargs.pop("guide_vfm", None) or method.guide
    kwargs["guide_vfm"] = _shared("vfm", (guide, pretrained), lambda: build_vfm(guide, pretrained=pretrained)) \
        if method.guide is not None else None
    if text_cache_dir == "default":
        text_cache_dir = cache_dir() / "text"
    model = OpenVocabSegmenter(clip_model, tokenizer, vfm_model, classes=classes, method=method,
                               text_cache_dir=text_cache_dir, **kwargs)
    return model.to(device).eval()
