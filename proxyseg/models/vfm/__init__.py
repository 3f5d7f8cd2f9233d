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


__all__ = ["VFM", "VFM_REGISTRY", "build_vfm", "register_vfm", "IMAGENET_MEAN", "IMAGENET_STD"]
