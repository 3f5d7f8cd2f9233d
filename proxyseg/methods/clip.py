"""Plain CLIP: the ordinary last block, patch tokens (the baseline of every OVSS paper)."""
from __future__ import annotations

from .base import Method, register_method


@register_method
class CLIP(Method):
    """``block(x)[:, 1:]``: CLIP's own last block, unchanged."""

    name = "clip"
    reference = "openai/CLIP (the unmodified model)"

    def last_block(self, block, x, *, grid, vfm_feats=None):
        return block(x)[:, 1:], grid
