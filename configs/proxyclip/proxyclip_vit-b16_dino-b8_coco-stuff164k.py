# ProxyCLIP, CLIP ViT-B/16 (openai) + DINO ViT-B/8, COCO-Stuff-164k (171 classes, prob_thd 0).
_base_ = [
    '../_base_/models/proxyclip.py',
    '../_base_/datasets/coco_stuff164k.py',
    '../_base_/default_runtime.py',
]
model = dict(name_path={{_base_.class_names}}, prob_thd=0.0, vfm=dict(type='dino', arch='b8'))
