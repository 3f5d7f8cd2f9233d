"""Compare methods side by side on one image: method specs, shared models, one result per spec.

A *method spec* names one panel::

    SPEC := METHOD [ ":" VFM [ "-" ARCH ] ] [ "+fa" ]

- ``METHOD``: any registered method (:func:`proxyseg.methods.method_names`: ``clip``, ``maskclip``,
  ``proxyclip``, ``sclip``, ``clearclip``, ...).
- ``:VFM-ARCH``: the vision foundation model of a method that needs one, as ``type-arch`` of
  :func:`proxyseg.models.build_vfm` (``dino-b8``, ``dino-s16``, ``sam-b``, ``dinov2-b14_reg``,
  ``unet-carvana``); ``:dino`` alone takes the VFM's default arch. Without it, the config's VFM.
- ``+fa``: the seed study's CLIP-Surgery-style feature adjustment.

Examples: ``clip``, ``maskclip+fa``, ``proxyclip``, ``proxyclip:dino-s16``, ``proxyclip:sam-b+fa``.

Call graph::

    compare(segmenter, image, methods, classes)
      parse_specs(methods)                 # grammar, registry names, archs: errors name the spec
      -> ComparePanels.prepare(specs)      # weights checked for every spec, then models built:
                                           #   CLIP + text embeddings shared, one VFM per (type, arch)
      -> load_image(image) once
      -> panel.segment(pixels, classes)    # per spec, timed; same class list -> same colours
      -> {spec: SegmentationResult}

Every panel runs with the config's settings (logit scale, windows, threshold): only the method,
its VFM and feature adjustment differ between panels.
"""
from __future__ import annotations

import copy
import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch

from ..errors import ConfigError, ProxySegError, UsageError
from .image_io import ImageSource, load_image

MethodsArg = Union[str, Sequence[str]]
FA_SUFFIX = "+fa"
_PLACEHOLDER = ["object"]


@dataclass(frozen=True)
class CompareSpec:
    """One parsed method spec (see the module docstring for the grammar).

    Attributes:
        text: the spec as written (whitespace stripped): the panel's title and result key.
        method: registered method name. vfm_type, vfm_arch: the VFM (``None``: the config's).
        feature_adjust: ``+fa`` was given.
    """

    text: str
    method: str
    vfm_type: Optional[str] = None
    vfm_arch: Optional[str] = None
    feature_adjust: bool = False

    @property
    def vfm_text(self) -> str:
        return "" if self.vfm_type is None else self.vfm_type + (f"-{self.vfm_arch}" if self.vfm_arch else "")


def parse_spec(text: str) -> CompareSpec:
    """``'proxyclip:dino-b8+fa'`` -> :class:`CompareSpec`; a bad spec is one :class:`UsageError`."""
    from ..methods import build_method, method_names
    from ..models.vfm import VFM_REGISTRY, _load_all

    raw = str(text).strip()
    if not raw:
        raise UsageError("empty method spec: write e.g. 'clip', 'proxyclip:dino-b8' or 'proxyclip+fa'")
    body, fa = raw, False
    if body.lower().endswith(FA_SUFFIX):
        body, fa = body[: -len(FA_SUFFIX)], True
    if "+" in body:
        extra = body[body.index("+"):]
        raise UsageError(f"method spec {raw!r}: unknown option {extra!r}; the only option is '+fa' "
                         f"(feature adjustment), written last")
    name, sep, vfm = body.partition(":")
    name = name.strip()
    names = method_names()
    if name not in names:
        import difflib

        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(f"method spec {raw!r}: unknown method {name!r}{hint}; methods: {', '.join(names)}")
    if not sep:
        return CompareSpec(raw, name, feature_adjust=fa)
    if not build_method(name).needs_vfm:
        raise UsageError(f"method spec {raw!r}: method {name!r} uses no VFM; drop ':{vfm}'")
    vtype, _, arch = vfm.strip().partition("-")
    _load_all()
    if vtype not in VFM_REGISTRY:
        raise UsageError(f"method spec {raw!r}: unknown VFM {vtype!r}; VFMs: {', '.join(sorted(VFM_REGISTRY))} "
                         f"(written as ':type-arch', e.g. ':dino-b8')")
    cls = VFM_REGISTRY[vtype]
    if arch and arch not in cls.ARCHS:
        raise UsageError(f"method spec {raw!r}: unknown arch {arch!r} for VFM {vtype!r}; archs: "
                         f"{', '.join(cls.ARCHS)}")
    return CompareSpec(raw, name, vtype, arch or None, fa)


def parse_specs(methods: MethodsArg, *, min_count: int = 1, max_count: Optional[int] = None) -> List[CompareSpec]:
    """``'clip,maskclip,proxyclip'`` or a list -> specs (distinct, ``min_count..max_count`` of them)."""
    items = methods.split(",") if isinstance(methods, str) else list(methods)
    items = [str(m).strip() for m in items if str(m).strip()]
    specs = [parse_spec(m) for m in items]
    seen = set()
    for s in specs:
        if s.text in seen:
            raise UsageError(f"method spec {s.text!r} is given twice; each panel needs a different spec")
        seen.add(s.text)
    if len(specs) < min_count or (max_count is not None and len(specs) > max_count):
        rng = f"{min_count} to {max_count}" if max_count is not None else f"at least {min_count}"
        raise UsageError(f"compare needs {rng} method specs, got {len(specs)}: e.g. 'clip,maskclip,proxyclip'")
    return specs


def _vfm_key(cfg: Optional[dict]) -> Optional[str]:
    return None if cfg is None else json.dumps(cfg, sort_keys=True, default=str)


class ComparePanels:
    """The models behind the panels of one :class:`~proxyseg.apis.Segmenter`, built once and kept.

    All panels share the Segmenter's CLIP model, tokenizer, text embeddings cache and lock; a VFM
    is built once per ``(type, arch)`` and shared by every spec that names it; a spec equal to the
    Segmenter's own model reuses it.
    """

    def __init__(self, segmenter):
        self.seg = segmenter
        self._build_lock = threading.Lock()  # concurrent web requests build each panel once
        base = segmenter.model
        self._vfms: Dict[str, Any] = {}
        own = getattr(segmenter, "model_cfg", None) or {}
        self.model_cfg: Dict[str, Any] = own
        self.pretrained = own.get("pretrained", True) is not False
        own_vfm = self._config_vfm()
        if base.vfm is not None and own_vfm is not None:
            self._vfms[_vfm_key(own_vfm)] = base.vfm
        self._panels: Dict[Tuple, Any] = {self._key(base.method.to_dict(), _vfm_key(own_vfm) if base.vfm is not None
                                                    else None, base.feature_adjust): segmenter}

    @staticmethod
    def _key(method: dict, vfm_key: Optional[str], fa: bool) -> Tuple:
        return json.dumps(method, sort_keys=True, default=str), vfm_key, bool(fa)

    def _config_vfm(self) -> Optional[dict]:
        vfm = self.model_cfg.get("vfm")
        return dict(vfm) if isinstance(vfm, dict) and vfm.get("type") else None

    # ---- resolution (no models built) -------------------------------------------------------
    def vfm_config(self, spec: CompareSpec) -> Optional[dict]:
        """The VFM config of ``spec`` (``None`` if its method needs none); errors name the spec."""
        from ..methods import build_method

        if not build_method(spec.method).needs_vfm:
            return None
        own = self._config_vfm()
        if spec.vfm_type is None:
            if own is None and self.seg.model.vfm is None:
                raise UsageError(f"method spec {spec.text!r}: method {spec.method!r} needs a VFM and the config has "
                                 f"none; write e.g. '{spec.method}:dino-b8'")
            return own  # None: the Segmenter's own VFM object (built without a config)
        if own is not None and own.get("type") == spec.vfm_type:
            cfg = dict(own)  # same family: keep its options (tiny sizes, feature, ...), swap the arch
            if spec.vfm_arch and spec.vfm_arch != own.get("arch"):
                cfg["arch"] = spec.vfm_arch
                cfg.pop("checkpoint", None)  # a file given for another arch
            return cfg
        if not self.pretrained:
            tiny = _tiny_vfm(spec.vfm_type)
            if tiny is not None:
                if spec.vfm_arch:
                    tiny["arch"] = spec.vfm_arch
                return tiny
        return dict(type=spec.vfm_type, **({"arch": spec.vfm_arch} if spec.vfm_arch else {}))

    def check(self, spec: CompareSpec) -> Optional[dict]:
        """Resolve ``spec``'s VFM and check its weights can be found (no model is built)."""
        from ..models.preflight import check_weights

        cfg = self.vfm_config(spec)
        if cfg is None or _vfm_key(cfg) in self._vfms:
            return cfg
        try:
            check_weights(dict(pretrained=self.pretrained, clip=dict(pretrained=None), vfm=cfg, method=spec.method))
        except ProxySegError as e:
            raise _with_spec(e, spec) from None
        return cfg

    # ---- building ---------------------------------------------------------------------------
    def prepare(self, specs: Sequence[CompareSpec]) -> List[Any]:
        """One Segmenter per spec: every spec is checked before any model is built."""
        cfgs = [self.check(s) for s in specs]
        with self._build_lock:
            return [self._panel(s, c) for s, c in zip(specs, cfgs)]

    def _vfm(self, spec: CompareSpec, cfg: Optional[dict]):
        if cfg is None:
            return self.seg.model.vfm
        key = _vfm_key(cfg)
        if key not in self._vfms:
            from ..models import build_vfm

            try:
                with torch.random.fork_rng(devices=[]):
                    torch.manual_seed(0)  # random-weight (tiny) VFMs are reproducible
                    vfm = build_vfm(copy.deepcopy(cfg), pretrained=self.pretrained)
            except ProxySegError as e:
                raise _with_spec(e, spec) from None
            self._vfms[key] = vfm.to(self.seg.device).eval()
        return self._vfms[key]

    def _panel(self, spec: CompareSpec, vfm_cfg: Optional[dict]):
        from ..methods import build_method
        from ..models import OpenVocabSegmenter
        from .inference import Segmenter

        base = self.seg.model
        if spec.method == base.method.name:
            method = base.method.to_dict()  # the config's parameters (beta, gamma, ...)
        else:
            method = build_method(spec.method).to_dict()
        needs_vfm = build_method(spec.method).needs_vfm
        vkey = (_vfm_key(vfm_cfg) if vfm_cfg is not None else _vfm_key(self._config_vfm())) if needs_vfm else None
        key = self._key(method, vkey, spec.feature_adjust)
        if key in self._panels:
            return self._panels[key]
        vfm = self._vfm(spec, vfm_cfg) if needs_vfm else None
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                model = OpenVocabSegmenter(
                    base.clip_model, base.text.tokenizer, vfm, classes=_PLACEHOLDER, method=method,
                    feature_adjust=spec.feature_adjust, logit_scale=base.logit_scale, prob_thd=base.prob_thd,
                    slide_crop=base.slide_crop, slide_stride=base.slide_stride, window_batch=base.window_batch,
                    templates=base.text.templates, text_cache_dir=None, background_idx=base.background_idx,
                    amp_clip=base.amp_clip)
        except ProxySegError as e:
            raise _with_spec(e, spec) from None
        model.text = base.text  # one text-embedding cache for all panels
        model = model.to(self.seg.device).eval()
        seg = self.seg
        panel = Segmenter(model, default_classes=seg.default_classes, amp=seg.amp, max_side=seg.max_side,
                          max_pixels=seg.max_pixels, name=seg.name)
        panel.default_prob_thd = seg.default_prob_thd
        panel._lock = seg._lock  # the shared CLIP and text cache run one request at a time
        self._panels[key] = panel
        return panel


def _tiny_vfm(vfm_type: str) -> Optional[dict]:
    """The tiny random-weight options of ``vfm_type`` from its smoke config (``None`` if none)."""
    from .config_loader import CONFIG_DIR, load_config

    path = CONFIG_DIR / "smoke" / f"proxyclip_tiny_{vfm_type}_smoke-coco-object.py"
    if not path.is_file():
        return None
    vfm = load_config(path, use_mmengine=False)["model"].get("vfm")
    return dict(vfm) if isinstance(vfm, dict) else None


def _with_spec(e: ProxySegError, spec: CompareSpec) -> ProxySegError:
    """The same error type, its message prefixed with the spec it belongs to."""
    msg = f"method spec {spec.text!r}: {e}"
    try:
        return type(e)(msg)
    except TypeError:
        return ConfigError(msg)


def panels_of(segmenter) -> ComparePanels:
    """The (cached) :class:`ComparePanels` of a Segmenter."""
    panels = segmenter.__dict__.get("_compare_panels")
    if panels is None:
        panels = segmenter.__dict__["_compare_panels"] = ComparePanels(segmenter)
    return panels


def compare(segmenter, image: ImageSource, methods: MethodsArg, classes=None, *, background: Optional[str] = None,
            prob_thd: Optional[float] = None, max_side: Optional[int] = None, name: Optional[str] = None,
            keep_probs: bool = True) -> Dict[str, "SegmentationResult"]:  # noqa: F821
    """Segment ``image`` with every method spec; see :meth:`proxyseg.apis.Segmenter.compare`.

    ``keep_probs=False`` drops each result's ``probs`` (left as a ``(K, 0, 0)`` array) as soon as
    its mask is made, so that N panels hold N masks, not N ``(K, h, w)`` probability maps.
    """
    specs = parse_specs(methods)
    panels = panels_of(segmenter).prepare(specs)
    pixels = load_image(image, max_pixels=segmenter.max_pixels, name=name)
    out = {}
    for spec, panel in zip(specs, panels):
        t0 = time.perf_counter()
        res = panel.segment(pixels, classes, background=background, prob_thd=prob_thd, max_side=max_side, name=name)
        if not keep_probs:
            res.probs = res.probs[:, :0, :0].copy()
        res.meta.update(method=spec.text, seconds=round(time.perf_counter() - t0, 3),
                        method_config=panel.model.method.to_dict(), feature_adjust=spec.feature_adjust,
                        vfm=_describe_vfm(panel.model.vfm))
        out[spec.text] = res
    return out


def _describe_vfm(vfm) -> Optional[str]:
    if vfm is None:
        return None
    return f"{vfm.vfm_type}-{vfm.arch}" if getattr(vfm, "arch", "") else vfm.vfm_type
