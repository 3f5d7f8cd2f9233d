"""Build open_clip models: real names with local-first weights, or tiny random ones for tests."""
from __future__ import annotations

from typing import Callable, Optional, Tuple

import torch.nn as nn

from .. import weights as W
from ..errors import ConfigError

CLIP_MEAN = (122.771, 116.746, 104.094)  # 0-255 RGB, as MMSeg's SegDataPreProcessor takes them
CLIP_STD = (68.501, 66.632, 70.323)
# OpenAI's exact constants (RGB in [0, 1]): upstream ProxyCLIP un-normalises the window with these
# before the VFM (mc-lan/ProxyCLIP:proxyclip_segmentor.py, ``UnNormalize``), not with CLIP_MEAN / 255.
OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)


def build_clip(name: str = "ViT-B-16", pretrained: Optional[str] = "openai", *, checkpoint: Optional[str] = None,
               model_cfg: Optional[dict] = None, quick_gelu: Optional[bool] = None) -> Tuple[nn.Module, Callable]:
    """An open_clip ``CLIP`` and its tokenizer.

    The MLP activation follows the weights: OpenAI's CLIPs were trained with QuickGELU (open_clip's
    pretrained config for the ``openai`` tag says ``quick_gelu=True``), LAION's ``ViT-H-14``
    (``laion2b_s32b_b79k``) with GELU. open_clip's plain ``ViT-B-16`` config builds GELU and only
    warns, so the tag's setting is applied here, for hub tags and local files alike (as upstream
    ProxyCLIP's OpenAI loader does).

    Args:
        name: open_clip model name (``ViT-B-16``, ``ViT-L-14``, ``ViT-H-14``).
        pretrained: open_clip pretrained tag (``openai``, ``laion2b_s32b_b79k``) or ``None`` for
            random weights.
        checkpoint: a local weights file (or a directory to search) used before the hub.
        model_cfg: an open_clip model config dict (``embed_dim``, ``vision_cfg``, ``text_cfg``)
            to build a (tiny) random model instead of ``name``.
        quick_gelu: ``None``: follow the pretrained tag's config (QuickGELU for ``openai``; without
            a tag, the model config's own setting: GELU for ``ViT-B-16``, QuickGELU for
            ``ViT-B-16-quickgelu``); ``True``/``False``: force QuickGELU / GELU (checkpoints whose tag
            open_clip does not know).
    """
    import open_clip

    if model_cfg is not None:
        cfg = dict(model_cfg)
        if quick_gelu is not None:
            cfg["quick_gelu"] = bool(quick_gelu)
        model = open_clip.CLIP(**cfg)
        ctx = model_cfg.get("text_cfg", {}).get("context_length", 77)
        return model.eval(), open_clip.SimpleTokenizer(context_length=ctx)
    if name not in open_clip.list_models():
        raise ConfigError(f"unknown CLIP model {name!r}; valid open_clip names include ViT-B-16, ViT-L-14, ViT-H-14")
    tokenizer = open_clip.get_tokenizer(name)
    if quick_gelu is None and pretrained:
        quick_gelu = tag_quick_gelu(name, pretrained)
    act = {} if quick_gelu is None else ({"force_quick_gelu": True} if quick_gelu else {"quick_gelu": False})
    if not pretrained:
        return open_clip.create_model(name, pretrained=None, **act).eval(), tokenizer
    stems = clip_weight_stems(name, pretrained)
    path = W.find_weights(stems, checkpoint)
    if path is not None:
        try:
            model = open_clip.create_model(name, pretrained=str(path), **act)
        except Exception as e:
            from ..errors import CheckpointError

            raise CheckpointError(f"CLIP checkpoint {path} does not load into {name} ({type(e).__name__}: "
                                  f"{str(e).splitlines()[0][:300]})") from None
        return model.eval(), tokenizer
    source = clip_weight_source(name, pretrained)
    if W.offline():
        raise W.missing(f"CLIP {name} ({pretrained})", stems, source)
    try:
        model = open_clip.create_model(name, pretrained=pretrained, **act)
    except Exception as e:
        raise W.missing(f"CLIP {name} ({pretrained})", stems, source,
                        reason=f"download failed: {type(e).__name__}") from None
    return model.eval(), tokenizer


def tag_quick_gelu(name: str, pretrained: str) -> Optional[bool]:
    """Whether open_clip's pretrained config for ``name``/``pretrained`` says QuickGELU.

    ``True`` for ``openai`` (ViT-B-16, ViT-L-14), ``False`` for tags trained with GELU
    (``laion2b_s32b_b79k``), ``None`` for a tag open_clip does not know (the model config decides).
    """
    import open_clip

    cfg = open_clip.get_pretrained_cfg(name, pretrained) if name in open_clip.list_models() else {}
    if not cfg:
        return None
    return bool(cfg.get("quick_gelu", False))


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
