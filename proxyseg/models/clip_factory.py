"""Build open_clip models: real names with local-first weights, or tiny random ones for tests."""
from __future__ import annotations

from typing import Callable, Optional, Tuple

import torch.nn as nn

from .. import weights as W
from ..errors import ConfigError

CLIP_MEAN = (122.771, 116.746, 104.094)  # 0-255 RGB, as MMSeg's SegDataPreProcessor takes them
CLIP_STD = (68.501, 66.632, 70.323)


def build_clip(name: str = "ViT-B-16", pretrained: Optional[str] = "openai", *, checkpoint: Optional[str] = None,
               model_cfg: Optional[dict] = None) -> Tuple[nn.Module, Callable]:
    """An open_clip ``CLIP`` and its tokenizer.

    Args:
        name: open_clip model name (``ViT-B-16``, ``ViT-L-14``, ``ViT-H-14``).
        pretrained: open_clip pretrained tag (``openai``, ``laion2b_s32b_b79k``) or ``None`` for
            random weights.
        checkpoint: a local weights file (or a directory to search) used before the hub.
        model_cfg: an open_clip model config dict (``embed_dim``, ``vision_cfg``, ``text_cfg``)
            to build a (tiny) random model instead of ``name``.
    """
    import open_clip

    if model_cfg is not None:
        model = open_clip.CLIP(**model_cfg)
        ctx = model_cfg.get("text_cfg", {}).get("context_length", 77)
        return model.eval(), open_clip.SimpleTokenizer(context_length=ctx)
    if name not in open_clip.list_models():
        raise ConfigError(f"unknown CLIP model {name!r}; valid open_clip names include ViT-B-16, ViT-L-14, ViT-H-14")
    tokenizer = open_clip.get_tokenizer(name)
    if not pretrained:
        return open_clip.create_model(name, pretrained=None).eval(), tokenizer
    stems = clip_weight_stems(name, pretrained)
    path = W.find_weights(stems, checkpoint)
    if path is not None:
        try:
            model = open_clip.create_model(name, pretrained=str(path))
        except Exception as e:
            from ..errors import CheckpointError

            raise CheckpointError(f"CLIP checkpoint {path} does not load into {name} ({type(e).__name__}: "
                                  f"{str(e).splitlines()[0][:300]})") from None
        return model.eval(), tokenizer
    source = clip_weight_source(name, pretrained)
    if W.offline():
        raise W.missing(f"CLIP {name} ({pretrained})", stems, source)
    try:
        model = open_clip.create_model(name, pretrained=pretrained)
    except Exception as e:
        raise W.missing(f"CLIP {name} ({pretrained})", stems, source,
                        reason=f"download failed: {type(e).__name__}") from None
    return model.eval(), tokenizer


def clip_weight_stems(name: str, pretrained: str) -> list:
    """Local file names searched for an open_clip model's weights."""
    return [f"{name}-{pretrained}", f"{name}_{pretrained}", f"{name}.{pretrained}"]


def clip_weight_source(name: str, pretrained: str) -> str:
    """Where to download ``name``/``pretrained`` (unknown tags are a :class:`ConfigError`)."""
    import open_clip

    if name not in open_clip.list_models():
        raise ConfigError(f"unknown CLIP model {name!r}; valid open_clip names include ViT-B-16, ViT-L-14, ViT-H-14")
    tags = open_clip.list_pretrained_tags_by_model(name)
    if pretrained not in tags:
        raise ConfigError(f"unknown pretrained tag {pretrained!r} for {name}; valid: {', '.join(tags)}")
    cfg = open_clip.get_pretrained_cfg(name, pretrained)
    hub = cfg.get("hf_hub", "").rstrip("/")
    return f"https://huggingface.co/{hub}" if hub else (cfg.get("url") or "the open_clip model zoo")


def tiny_clip_cfg(width: int = 64, layers: int = 3, heads: int = 4, embed_dim: int = 32, patch_size: int = 16,
                  image_size: int = 224) -> dict:
    """An open_clip config for a tiny random ViT CLIP of the same classes as ViT-B-16."""
    return dict(
        embed_dim=embed_dim,
        vision_cfg=dict(image_size=image_size, layers=layers, width=width, patch_size=patch_size, head_width=width // heads),
        text_cfg=dict(context_length=77, vocab_size=49408, width=width, heads=heads, layers=2),
    )
