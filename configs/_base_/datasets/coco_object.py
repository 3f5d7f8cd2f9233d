# COCO-Object val2017: 5000 COCO images, 81 classes (background + the 80 COCO things),
# labels made from COCO-Stuff-164k by tools/dataset_converters/coco_object.py (see data/README.md).
# Images resized to short side 336 (upstream ProxyCLIP);
# labels are loaded after Resize, so metrics are computed at the original resolution.
dataset_type = 'COCOObjectDataset'  # registered by proxyseg.mmseg (custom_imports)
data_root = 'data/coco_object'
class_names = 'configs/_base_/class_names/coco_object.txt'  # experiments: model.name_path
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 336), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
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
# train2017 for training recipes (not used by the training-free evaluation): a recipe sets
# train_dataloader = dict(batch_size=..., sampler=..., dataset={{_base_.train_dataset}}).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(2048, 336), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(336, 336), cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
train_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    data_prefix=dict(img_path='images/train2017', seg_map_path='annotations/train2017'),
    pipeline=train_pipeline,
)
