# As proxyclip_vit-b16_dino-b8_coco-stuff164k.py with DINO ViT-B16.
_base_ = ['./proxyclip_vit-b16_dino-b8_coco-stuff164k.py']
model = dict(vfm=dict(arch='b16'))
