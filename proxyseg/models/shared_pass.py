"""One pass over the windows for several models that share a CLIP: the trunk once, each VFM once.

Per window batch: CLIP's blocks 1..L-1 (:meth:`DenseCLIP.trunk`) once, each distinct VFM once,
then every model's last block, projection and text head (:meth:`OpenVocabSegmenter.window_logits`);
each model's logits are merged on their own (``slide_inference`` with a list of outputs). The
result for every model is what its own :meth:`OpenVocabSegmenter.predict_logits` returns: the same
operations on the same inputs (tested to be bit-identical on CPU in fp32).

Models can share a pass when they have the same CLIP object and see the same windows:
:func:`trunk_key` says what must agree.
"""
from __future__ import annotations

from typing import Hashable, List, Optional, Sequence, Tuple

import torch

from ..errors import ConfigError
from ..ops.memory import split_on_oom
from ..ops.slide import slide_inference
from .open_vocab import OpenVocabSegmenter


def trunk_key(model: OpenVocabSegmenter) -> Tuple[Hashable, ...]:
    """What must agree for models to share a pass: the CLIP object, the windows (crop, stride,
    pad multiple, windows per forward) and the autocast settings."""
    return (id(model.clip_model), model.slide_crop, model.slide_stride, model.pad_multiple, model.window_batch,
            model.amp, model.amp_clip, bool(model.method.image_level))


_KEY_FIELDS = ("CLIP model", "slide_crop", "slide_stride", "window pad multiple", "window_batch", "amp", "amp_clip",
               "image-level method")


class SharedPass:
    """Several :class:`OpenVocabSegmenter` evaluated in one pass over each image's windows.

    Args:
        models: segmenters with the same :func:`trunk_key` (one CLIP object, same windows).
    """

    def __init__(self, models: Sequence[OpenVocabSegmenter]):
        if not models:
            raise ConfigError("a shared pass needs at least one model")
        key = trunk_key(models[0])
        if key[-1]:
            raise ConfigError(f"method {models[0].method.name!r} runs on the whole image and cannot share a pass")
        for i, m in enumerate(models[1:], 1):
            other = trunk_key(m)
            diff = [f for f, a, b in zip(_KEY_FIELDS, key, other) if a != b]
            if diff:
                raise ConfigError(f"model {i} cannot share a pass with model 0: different {', '.join(diff)}")
        self.models: List[OpenVocabSegmenter] = list(models)

    def forward_windows(self, windows: torch.Tensor) -> List[torch.Tensor]:
        """``(n, 3, h, w)`` CLIP-normalised windows -> per model ``(n, Q_i, gh_i, gw_i)`` cosine logits."""
        lead = self.models[0]
        vfm_feats = {}
        for m in self.models:
            if m.vfm is not None and id(m.vfm) not in vfm_feats:
                vfm_feats[id(m.vfm)] = m.vfm_features(windows)
        with lead.clip_autocast(windows.device.type):
            x, grid = lead.clip.trunk(windows)
        return [m.window_logits(windows, x, grid, vfm_feats.get(id(m.vfm)), resize=False) for m in self.models]

    @torch.inference_mode()
    def predict_logits(self, image: torch.Tensor, out_size: Optional[Tuple[int, int]] = None,
                       progress=None) -> List[torch.Tensor]:
        """``(3, H, W)`` CLIP-normalised image -> per model ``(Q_i, H', W')`` logits."""
        lead = self.models[0]
        crop, stride = lead.slide_params(image)
        with lead.autocast(image.device.type):
            logits = slide_inference(image, split_on_oom(self.forward_windows), crop=crop, stride=stride,
                                     pad_multiple=lead.pad_multiple, window_batch=lead.window_batch,
                                     progress=progress, resize_windows=True)
        return [m.finish_logits(lg, image, out_size) for m, lg in zip(self.models, logits)]

    @torch.inference_mode()
    def predict(self, image: torch.Tensor, out_size: Optional[Tuple[int, int]] = None):
        """Per model ``(probs (K, H, W), mask (H, W))``."""
        return [m.postprocess(lg) for m, lg in zip(self.models, self.predict_logits(image, out_size))]
