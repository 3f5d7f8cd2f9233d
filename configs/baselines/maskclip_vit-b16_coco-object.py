# MaskCLIP, CLIP ViT-B/16 (openai), COCO-Object (81 classes). prob_thd 0.1 (upstream ProxyCLIP's
# value for CLIP-like methods on COCO-Object: "0.25 OURS  0.1 CLIP"); logit_scale 40 as for
# ProxyCLIP (SCLIP's configs use 50: --cfg-options model.logit_scale=50).
_base_ = [
    '../_base_/models/maskclip.py',
    '../_base_/datasets/coco_object.py',
    '../_base_/default_runtime.py',
]
model = dict(name_path={{_base_.class_names}}, prob_thd=0.1, logit_scale=40)
