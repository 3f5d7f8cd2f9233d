# _coco.py for the smoke-test twins (smoke_coco_object.py, smoke_coco_stuff.py) on the synthetic
# data written by `python tools/make_synthetic_data.py` (4 small images per split). Same pipelines
# as the real bases except a short side of 112 instead of 336 (and 64x64 training crops), so that a
# CPU run takes seconds; num_workers=0 keeps everything in one process.
_base_ = ['./_coco.py']
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 112), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
val_dataloader = dict(num_workers=0, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
# train2017 (4 images) for smoke tests of training recipes; see _coco.py.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(2048, 112), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(64, 64), cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
train_dataset = dict(pipeline=train_pipeline)
