# Cityscapes val: 500 images (2048x1024), 19 classes, MMSeg's CityscapesDataset
# (*_gtFine_labelTrainIds.png from MMSeg's cityscapes converter). Layout: data/README.md.
# Resize to short side 448 as upstream ProxyCLIP's cfg_city_scapes.py, which also sets
# model slide_crop=224, slide_stride=112: an experiment config sets those in its model dict.
dataset_type = 'CityscapesDataset'
data_root = 'data/cityscapes'
class_names = 'configs/_base_/class_names/cityscapes.txt'  # experiments: model.name_path
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 448), keep_ratio=True),
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
        data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
