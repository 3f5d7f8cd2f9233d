# ProxyCLIP (Lan et al., ECCV 2024): CLIP's last attention replaced by proxy attention from a VFM.
data_preprocessor = dict(
    type='ProxySegDataPreProcessor',
    mean=[122.771, 116.746, 104.094],  # CLIP, 0-255 RGB
    std=[68.501, 66.632, 70.323],
    bgr_to_rgb=True,
)
model = dict(
    type='ProxyCLIPSegmentor',
    data_preprocessor=data_preprocessor,
    clip=dict(name='ViT-B-16', pretrained='openai', checkpoint=None),  # + quick_gelu=None: follow the tag
    vfm=dict(type='dino', arch='b8', checkpoint=None),
    method='proxyclip',
    name_path=None,  # set by the experiment from the dataset base: {{_base_.class_names}}
    beta=1.2,
    gamma=3.0,
    logit_scale=40,
    prob_thd=0.0,
    feature_adjust=False,
    slide_crop=336,
    slide_stride=112,
    window_batch=8,
    templates='openai_imagenet',
    amp=None,
)
