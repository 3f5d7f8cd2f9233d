"""Shared fixtures: tiny random models of the real classes, built once per session."""
import os
from pathlib import Path

import pytest

os.environ.setdefault("PROXYSEG_OFFLINE", "1")  # never try the hub from tests
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO.parent / "shared" / "reference"

TINY_DINO = dict(type="dino", arch="b8", model_kwargs=dict(embed_dim=48, depth=2, num_heads=3))


def reference_dir() -> Path:
    """The shared reference data, or a visible skip when it is absent."""
    if not REFERENCE.is_dir():
        pytest.skip(f"reference data not found at {REFERENCE} (only present in the project workspace)")
    return REFERENCE


@pytest.fixture(scope="session")
def tiny_clip():
    import torch

    from proxyseg.models import build_clip, tiny_clip_cfg

    torch.manual_seed(0)
    return build_clip(model_cfg=tiny_clip_cfg())


@pytest.fixture(scope="session")
def tiny_vfm():
    import torch

    from proxyseg.models import build_vfm

    torch.manual_seed(0)
    return build_vfm(TINY_DINO, pretrained=False)


@pytest.fixture
def make_segmenter(tiny_clip, tiny_vfm):
    """Factory: a tiny :class:`OpenVocabSegmenter` sharing the session's models."""
    from proxyseg.methods import build_method
    from proxyseg.models import OpenVocabSegmenter

    def make(classes=("cat; kitty", "dog", "sky"), **kw):
        kw.setdefault("slide_crop", 64)
        kw.setdefault("slide_stride", 32)
        kw.setdefault("templates", "a_photo")
        method = kw.setdefault("method", "proxyclip")
        return OpenVocabSegmenter(tiny_clip[0], tiny_clip[1], tiny_vfm if build_method(method).needs_vfm else None,
                                  classes=list(classes), **kw).eval()

    return make
