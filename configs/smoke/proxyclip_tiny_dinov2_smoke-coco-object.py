# Smoke test with a tiny random DINOv2 (ViT with 4 registers, patch 14); see the DINO twin.
_base_ = ['./proxyclip_tiny_dino_smoke-coco-object.py']
model = dict(vfm=dict(_delete_=True, type='dinov2', arch='b14_reg', model_kwargs=dict(embed_dim=48, depth=2, num_heads=3)))
