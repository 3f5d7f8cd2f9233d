"""MMSeg glue: a registered ``BaseSegmentor`` that calls the core :class:`OpenVocabSegmenter`."""
from __future__ import annotations

from typing import List, Optional, Union

import torch
from mmengine.structures import PixelData
from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.models.segmentors import BaseSegmentor
from mmseg.registry import MODELS

from ..models.open_vocab import build_segmenter


@MODELS.register_module(force=True)
class ProxySegDataPreProcessor(SegDataPreProcessor):
    """``SegDataPreProcessor`` that also batches test images of different sizes.

    MMSeg's preprocessor refuses a test batch whose images differ in size; here such a batch is
    returned as a list of ``(3, H, W)`` tensors (the segmentor handles each image on its own).
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        if training:
            return super().forward(data, training)
        inputs = data["inputs"]
        if all(x.shape[1:] == inputs[0].shape[1:] for x in inputs):
            return super().forward(data, training)
        data = self.cast_data(data)
        inputs = data["inputs"]
        if self.channel_conversion and inputs[0].size(0) == 3:
            inputs = [x[[2, 1, 0], ...] for x in inputs]
        inputs = [x.float() for x in inputs]
        if self._enable_normalize:
            inputs = [(x - self.mean) / self.std for x in inputs]
        return dict(inputs=inputs, data_samples=data.get("data_samples"))


@MODELS.register_module(force=True)
class ProxyCLIPSegmentor(BaseSegmentor):
    """Training-free open-vocabulary segmentor (ProxyCLIP / MaskCLIP / CLIP) for MMSeg.

    Call graph::

        predict(inputs, data_samples)
          for each image: core.predict_logits(image)       # batched sliding windows
                            -> resize to ori_shape -> core.postprocess()  # softmax, synonyms, prob_thd
          -> data_sample.seg_logits (class probabilities), data_sample.pred_sem_seg

    Args:
        clip (dict): ``dict(name='ViT-B-16', pretrained='openai', checkpoint=None, model_cfg=None)``.
        vfm (dict, optional): ``dict(type='dino', arch='b8', checkpoint=None)``.
        method (str): ``proxyclip`` | ``maskclip`` | ``clip`` | ``clearclip`` | ``sclip``.
        name_path (str): class file (one class per line, ``'; '`` synonyms).
        pretrained (bool): ``False`` builds random weights (smoke tests).
        beta, gamma, logit_scale, prob_thd, feature_adjust, slide_crop, slide_stride,
        window_batch, templates: see :class:`proxyseg.models.OpenVocabSegmenter`.
        amp (str, optional): ``'bf16'``/``'fp16'`` autocast of the VFM (``amp_clip=True``: CLIP too).
    """

    def __init__(self, clip: dict, name_path: str, vfm: Optional[dict] = None, method: str = "proxyclip",
                 pretrained: bool = True, amp: Optional[str] = None, text_cache_dir: Union[str, None] = "default",
                 data_preprocessor: Optional[dict] = None, init_cfg: Optional[dict] = None, **kwargs):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.core = build_segmenter(clip=clip, vfm=vfm, method=method, classes=name_path, pretrained=pretrained,
                                    text_cache_dir=text_cache_dir, amp=amp, **kwargs)
        self._clip_cfg = dict(clip, pretrained_weights=pretrained)

    def describe(self) -> dict:
        """``{clip, vfm, method}`` labels of the BUILT model (results.json; the format of
        :func:`proxyseg.results.describe_model`): the method object and VFM actually in use."""
        core, clip = self.core, self._clip_cfg
        clip_s = "tiny-random" if clip.get("model_cfg") else f"{clip.get('name')}/{clip.get('pretrained')}"
        if clip.get("pretrained_weights") is False:
            clip_s += " (random)"
        vfm = core.vfm
        vfm_s = f"{type(vfm).vfm_type}-{vfm.arch}" if vfm is not None else "-"
        return {"clip": clip_s, "vfm": vfm_s,
                "method": core.method.name + ("+feature_adjust" if core.feature_adjust else "")}

    def init_weights(self):  # weights come from the pretrained models; never re-initialise
        pass

    @property
    def num_classes(self) -> int:
        return self.core.num_classes

    @torch.inference_mode()
    def predict(self, inputs: Union[torch.Tensor, List[torch.Tensor]], data_samples: Optional[list] = None) -> list:
        if data_samples is None:
            from mmseg.structures import SegDataSample

            data_samples = [SegDataSample(metainfo=dict(img_shape=x.shape[-2:], ori_shape=x.shape[-2:]))
                            for x in inputs]
        for image, sample in zip(inputs, data_samples):
            h, w = sample.metainfo.get("img_shape", image.shape[-2:])[:2]
            ori = sample.metainfo.get("ori_shape", (h, w))[:2]
            # autocast inside when model.amp is set; float32 logits resized bilinearly to ori_shape
            logits = self.core.predict_logits(image[:, :h, :w], out_size=tuple(ori))
            probs, mask = self.core.postprocess(logits)
            sample.set_data(dict(seg_logits=PixelData(data=probs), pred_sem_seg=PixelData(data=mask[None])))
        return data_samples

    def _forward(self, inputs, data_samples=None):
        return [self.core.predict_logits(x) for x in inputs]

    def extract_feat(self, inputs):
        raise NotImplementedError("ProxyCLIPSegmentor is training-free: use predict()")

    def encode_decode(self, inputs, batch_data_samples):
        raise NotImplementedError("ProxyCLIPSegmentor is training-free: use predict()")

    def loss(self, inputs, data_samples):
        raise NotImplementedError("ProxyCLIPSegmentor is training-free and has no loss; "
                                  "see configs/maskclip_plus for training a student on its pseudo-labels")
