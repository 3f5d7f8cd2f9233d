# Smoke test with a small random Carvana UNet (base width 8 instead of 64).
_base_ = ['./proxyclip_tiny_dino_smoke-coco-object.py']
model = dict(vfm=dict(_delete_=True, type='unet', arch='carvana', base_channels=8))
