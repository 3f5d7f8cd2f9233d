# Smoke test with a tiny random MAE ViT (windows resized to input_size = the smoke crop).
_base_ = ['./proxyclip_tiny_dino_smoke-coco-object.py']
model = dict(vfm=dict(_delete_=True, type='mae', arch='b16', input_size=(64, 64),
                      model_kwargs=dict(embed_dim=48, depth=2, num_heads=3)))
