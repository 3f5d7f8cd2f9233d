"""Models: dense CLIP, VFMs, the open-vocabulary segmenter."""
from .clip_dense import DenseCLIP
from .clip_factory import CLIP_MEAN, CLIP_STD, OPENAI_MEAN, OPENAI_STD, build_clip, tiny_clip_cfg
from .open_vocab import OpenVocabSegmenter, build_segmenter
from .vfm import VFM, VFM_REGISTRY, build_vfm, register_vfm

__all__ = ["DenseCLIP", "build_clip", "tiny_clip_cfg", "CLIP_MEAN", "CLIP_STD", "OPENAI_MEAN", "OPENAI_STD",
           "OpenVocabSegmenter", "build_segmenter", "VFM", "VFM_REGISTRY", "build_vfm", "register_vfm"]
