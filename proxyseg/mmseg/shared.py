"""MMSeg glue for a sweep's shared pass: several training-free models in one evaluation.

``ProxyCLIPSharedSegmentor(cells=[model_cfg_0, model_cfg_1, ...])`` builds one core per cell (each
distinct CLIP and VFM built once, :func:`proxyseg.models.open_vocab.shared_models`), runs them
through :class:`proxyseg.models.shared_pass.SharedPass` (per window: CLIP's trunk once, each VFM
once, every cell's last block and readout) and stores cell ``i``'s prediction as
``pred_sem_seg_<i>`` (cell 0's also as ``pred_sem_seg``). The evaluator holds one
``ProxySegIoUMetric(pred_key='pred_sem_seg_<i>', prefix='cell<i>')`` per cell: one confusion
matrix per cell, no stored logits.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Union

import torch
from mmengine.structures import PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.registry import MODELS

from ..models.open_vocab import build_segmenter, shared_models
from ..models.shared_pass import SharedPass

_NOT_CORE = ("type", "data_preprocessor", "init_cfg")


def pred_key(i: int) -> str:
    return f"pred_sem_seg_{i}"


@MODELS.register_module(force=True)
class ProxyCLIPSharedSegmentor(BaseSegmentor):
    """Several :class:`~proxyseg.mmseg.segmentor.ProxyCLIPSegmentor` model configs in one pass.

    Args:
        cells (list[dict]): the cells' ``model`` configs (``ProxyCLIPSegmentor`` keyword arguments).
    """

    def __init__(self, cells: Sequence[dict], data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        cores = []
        state = torch.get_rng_state()  # each cell built from the state it would see alone (random weights)
        with shared_models():
            for cfg in cells:
                torch.set_rng_state(state)
                kw = {k: v for k, v in dict(cfg).items() if k not in _NOT_CORE}
                clip, name_path = kw.pop("clip"), kw.pop("name_path")
                cores.append(build_segmenter(clip=clip, classes=name_path, **kw))
        self.cores = torch.nn.ModuleList(cores)
        self._clip_cfgs = [dict(c["clip"]) for c in cells]
        self._random = [dict(c).get("pretrained", True) is False for c in cells]
        self.shared = SharedPass(cores)

    def init_weights(self):  # weights come from the pretrained models
        pass

    def describe_cell(self, i: int) -> dict:
        """``{clip, vfm, method}`` of cell ``i``'s BUILT model (as ``ProxyCLIPSegmentor.describe``)."""
        core, clip = self.cores[i], self._clip_cfgs[i]
        clip_s = "tiny-random" if clip.get("model_cfg") else f"{clip.get('name')}/{clip.get('pretrained')}"
        if self._random[i]:
            clip_s += " (random)"
        vfm = core.vfm
        vfm_s = f"{type(vfm).vfm_type}-{vfm.arch}" if vfm is not None else "-"
        return {"clip": clip_s, "vfm": vfm_s,
                "method": core.method.name + ("+feature_adjust" if core.feature_adjust else "")}

    @torch.inference_mode()
    def predict(self, inputs: Union[torch.Tensor, List[torch.Tensor]], data_samples: Optional[list] = None) -> list:
        for image, sample in zip(inputs, data_samples):
            h, w = sample.metainfo.get("img_shape", image.shape[-2:])[:2]
            ori = sample.metainfo.get("ori_shape", (h, w))[:2]
            logits = self.shared.predict_logits(image[:, :h, :w], out_size=tuple(ori))
            for i, (core, lg) in enumerate(zip(self.cores, logits)):
                probs, mask = core.postprocess(lg)
                sample.set_data({pred_key(i): PixelData(data=mask[None])})
                if i == 0:
                    sample.set_data(dict(seg_logits=PixelData(data=probs), pred_sem_seg=PixelData(data=mask[None])))
        return data_samples

    def _forward(self, inputs, data_samples=None):
        return [self.shared.predict_logits(x) for x in inputs]

    def extract_feat(self, inputs):
        raise NotImplementedError("training-free: use predict()")

    def encode_decode(self, inputs, batch_data_samples):
        raise NotImplementedError("training-free: use predict()")

    def loss(self, inputs, data_samples):
        raise NotImplementedError("training-free: no loss")
