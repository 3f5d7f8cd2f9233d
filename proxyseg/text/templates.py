"""Prompt templates: the 80 OpenAI ImageNet templates, as open_clip ships them."""
from __future__ import annotations

from typing import List


def _openai_templates() -> List[str]:
    from open_clip.zero_shot_metadata import OPENAI_IMAGENET_TEMPLATES as T

    return [t("{}") for t in T]


OPENAI_IMAGENET_TEMPLATES: List[str] = _openai_templates()
TEMPLATES = {"openai_imagenet": OPENAI_IMAGENET_TEMPLATES, "none": ["{}"], "a_photo": ["a photo of a {}."]}
