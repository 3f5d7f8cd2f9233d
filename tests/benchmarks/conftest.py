"""Fixtures for the speed tests: tiny segmenters sharing the session's tiny random models."""
import pytest

CLASSES = ("cat; kitty", "dog", "sky", "road", "person", "background; wall; floor")


@pytest.fixture(scope="session")
def _tiny_seg(tiny_clip, tiny_vfm):
    from proxyseg.models import OpenVocabSegmenter

    return OpenVocabSegmenter(tiny_clip[0], tiny_clip[1], tiny_vfm, classes=list(CLASSES), slide_crop=64,
                              slide_stride=32, templates="a_photo").eval()


@pytest.fixture
def tiny_seg(_tiny_seg):
    """A tiny ProxyCLIP segmenter with synonyms (64-px windows, stride 32); settings reset per test."""
    seg = _tiny_seg
    seg.window_batch, seg.amp, seg.amp_clip, seg.prob_thd = 8, None, False, 0.0
    yield seg
    seg.window_batch, seg.amp, seg.amp_clip, seg.prob_thd = 8, None, False, 0.0
