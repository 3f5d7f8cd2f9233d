"""Check, before anything is built or loaded, that the weights a model config needs can be found."""
from __future__ import annotations

from typing import Mapping

from .. import weights as W
from ..methods import build_method
from .clip_factory import clip_weight_source, clip_weight_stems
from .vfm.base import VFM_REGISTRY, _unknown


def check_weights(model_cfg: Mapping) -> None:
    """Raise :class:`~proxyseg.errors.WeightsNotFoundError` now if a weight file is missing and
    cannot be downloaded (offline, or a local-only model), so tools fail in a second instead of
    after building the runner. Random-weight (``pretrained=False``) and tiny configs pass."""
    if model_cfg.get("pretrained", True) is False:
        return
    clip = model_cfg.get("clip") or {}
    name, tag = clip.get("name", "ViT-B-16"), clip.get("pretrained", "openai")
    if not clip.get("model_cfg") and tag:
        stems = clip_weight_stems(name, tag)
        source = clip_weight_source(name, tag)
        if W.find_weights(stems, clip.get("checkpoint")) is None and W.offline():
            raise W.missing(f"CLIP {name} ({tag})", stems, source)
    vfm = model_cfg.get("vfm")
    if not vfm or not build_method(model_cfg.get("method", "proxyclip")).needs_vfm:
        return
    from .vfm import _load_all

    _load_all()
    if vfm.get("type") not in VFM_REGISTRY:
        raise _unknown("VFM", vfm.get("type"), sorted(VFM_REGISTRY))
    cls = VFM_REGISTRY[vfm["type"]]
    arch = vfm.get("arch") or cls.default_arch()  # the arch build() would use
    stems = cls.weight_stems(arch)
    if stems is None:
        return
    if W.find_weights(stems, vfm.get("checkpoint")) is None and (cls.LOCAL_ONLY or W.offline()):
        raise W.missing(stems[0] if not cls.LOCAL_ONLY else f"VFM {vfm['type']} {arch!r}", stems,
                        cls.weight_source(arch))
