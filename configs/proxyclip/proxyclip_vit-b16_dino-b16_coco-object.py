# As proxyclip_vit-b16_dino-b8_coco-object.py with DINO ViT-B16.
_base_ = ['./proxyclip_vit-b16_dino-b8_coco-object.py']
model = dict(vfm=dict(arch='b16'))
