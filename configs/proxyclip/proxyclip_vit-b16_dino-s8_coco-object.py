# As proxyclip_vit-b16_dino-b8_coco-object.py with DINO ViT-S8.
_base_ = ['./proxyclip_vit-b16_dino-b8_coco-object.py']
model = dict(vfm=dict(arch='s8'))
expected = None  # ProxyCLIP's per-VFM ablation numbers are unknown to us (never guessed)
expected_seed = None
