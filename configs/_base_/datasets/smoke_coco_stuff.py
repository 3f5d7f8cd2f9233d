# Smoke-test twin of coco_stuff164k.py on the synthetic COCO-Stuff-164k data (171 classes)
# written by `python tools/make_synthetic_data.py` (4 small images per split). Same pipeline as
# the real base except a short side of 112 instead of 336, so that a CPU run takes seconds;
# num_workers=0 keeps everything in one process.
dataset_type = 'COCOStuffDataset'
data_root = 'data/synthetic/coco_stuff164k'
class_names = 'configs/_base_/class_names/coco_stuff.txt'  # experiments: model.name_path
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 112), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='images/val2017', seg_map_path='annotations/val2017'),
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
# train2017 (4 images) for smoke tests of training recipes; see coco_stuff164k.py.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(2048, 112), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(64, 64), cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
train_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    data_prefix=dict(img_path='images/train2017', seg_map_path='annotations/train2017'),
    pipeline=train_pipeline,
)
