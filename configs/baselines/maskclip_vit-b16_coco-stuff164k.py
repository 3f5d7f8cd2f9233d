# MaskCLIP (Zhou et al., ECCV 2022; training-free, no key smoothing / prompt denoising): value
# path of CLIP ViT-B/16's last block, COCO-Stuff-164k (171 classes). Evaluated like ProxyCLIP
# (windows 336/112, logit_scale 40, prob_thd 0), which is how the ProxyCLIP/SCLIP line of work
# reports MaskCLIP; with prob_thd 0 the logit scale does not change the argmax.
# Seed paper, Table 1: 12.51 mIoU.
_base_ = [
    '../_base_/models/maskclip.py',
    '../_base_/datasets/coco_stuff164k.py',
    '../_base_/default_runtime.py',
]
model = dict(name_path={{_base_.class_names}}, prob_thd=0.0, logit_scale=40)
