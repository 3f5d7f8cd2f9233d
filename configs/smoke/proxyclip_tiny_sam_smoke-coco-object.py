# Smoke test with a tiny random SAM image encoder (windows resized to its img_size, 64 here).
_base_ = ['./proxyclip_tiny_dino_smoke-coco-object.py']
model = dict(vfm=dict(_delete_=True, type='sam', arch='b', model_kwargs=dict(
    img_size=64, embed_dim=32, depth=2, num_heads=2, global_attn_indexes=(1, ), window_size=4, neck_chans=16)))
