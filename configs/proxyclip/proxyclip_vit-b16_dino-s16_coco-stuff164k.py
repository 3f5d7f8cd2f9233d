# As proxyclip_vit-b16_dino-b8_coco-stuff164k.py with DINO ViT-S16.
_base_ = ['./proxyclip_vit-b16_dino-b8_coco-stuff164k.py']
model = dict(vfm=dict(arch='s16'))
expected = None  # ProxyCLIP's per-VFM ablation numbers are unknown to us (never guessed)
expected_seed = None
