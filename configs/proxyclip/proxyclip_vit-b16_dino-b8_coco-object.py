# ProxyCLIP, CLIP ViT-B/16 (openai) + DINO ViT-B/8, COCO-Object (81 classes, prob_thd 0.25).
_base_ = [
    '../_base_/models/proxyclip.py',
    '../_base_/datasets/coco_object.py',
    '../_base_/default_runtime.py',
]
model = dict(name_path={{_base_.class_names}}, prob_thd=0.25, vfm=dict(type='dino', arch='b8'))
