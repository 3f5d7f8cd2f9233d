"""Vision foundation models (VFMs) behind one contract; see :mod:`.base`."""
from .base import IMAGENET_MEAN, IMAGENET_STD, VFM, VFM_REGISTRY, build_vfm, register_vfm


def _load_all():
    import importlib

    for mod in ("dino", "dinov2", "sam", "mae", "unet", "diffusion"):
        try:
            importlib.import_module(f"{__name__}.{mod}")
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{mod}":
                raise


def default_arch(vfm_type: str) -> str:
    """The arch ``build_vfm`` uses for ``vfm_type`` when the config names none (``'?'`` if unknown)."""
    _load_all()
    cls = VFM_REGISTRY.get(vfm_type)
    return cls.default_arch() if cls is not None else "?"


__all__ = ["VFM", "VFM_REGISTRY", "build_vfm", "register_vfm", "default_arch", "IMAGENET_MEAN", "IMAGENET_STD"]
