# Tiny random-initialised models of the real classes (open_clip CLIP, timm DINO ViT): no
# downloads, runs the whole pipeline on CPU in seconds. Used by configs/smoke and the tests.
_base_ = ['./proxyclip.py']
model = dict(
    pretrained=False,
    clip=dict(
        name='ViT-B-16',
        pretrained=None,
        model_cfg=dict(
            embed_dim=32,
            vision_cfg=dict(image_size=224, layers=3, width=64, patch_size=16, head_width=16),
            text_cfg=dict(context_length=77, vocab_size=49408, width=64, heads=4, layers=2),
        ),
    ),
    vfm=dict(type='dino', arch='b8', model_kwargs=dict(embed_dim=48, depth=2, num_heads=3)),
    templates='a_photo',
    text_cache_dir=None,
    slide_crop=64,
    slide_stride=32,
)
