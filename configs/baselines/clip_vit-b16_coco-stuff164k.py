# Plain dense CLIP (ordinary last block, patch tokens), CLIP ViT-B/16 (openai), COCO-Stuff-164k
# (171 classes). Same windows and post-processing as ProxyCLIP (logit_scale 40, prob_thd 0 on
# COCO-Stuff), so the comparison isolates the last-block mode. All overridable:
#   --cfg-options model.logit_scale=50 model.prob_thd=0.1
_base_ = [
    '../_base_/models/clip.py',
    '../_base_/datasets/coco_stuff164k.py',
    '../_base_/default_runtime.py',
]
model = dict(name_path={{_base_.class_names}}, prob_thd=0.0)
