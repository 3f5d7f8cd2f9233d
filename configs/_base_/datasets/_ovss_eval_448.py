# _ovss_eval.py with images resized to short side 448 instead of 336, as upstream ProxyCLIP's
# cfg_ade20k.py and cfg_city_scapes.py (ade20k.py, cityscapes.py); metrics at the original resolution.
_base_ = ['./_ovss_eval.py']
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 448), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
