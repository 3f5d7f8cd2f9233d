# COCO-Stuff-164k val2017: 5000 images, 171 classes (80 things + 91 stuff), MMSeg's COCOStuffDataset.
# Layout and converter: data/README.md. Images resized to short side 336 (upstream ProxyCLIP);
# labels are loaded after Resize, so metrics are computed at the original resolution.
dataset_type = 'COCOStuffDataset'
data_root = 'data/coco_stuff164k'
class_names = 'configs/_base_/class_names/coco_stuff.txt'  # experiments: model.name_path
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
