# Pascal VOC 2012 val: 1449 images, 21 classes (background + 20), MMSeg's PascalVOCDataset.
# Class 0 (background) is queried with stuff names (see the class file). Layout: data/README.md.
# Images resized to short side 336 (upstream ProxyCLIP); metrics at the original resolution.
dataset_type = 'PascalVOCDataset'
data_root = 'data/VOCdevkit/VOC2012'
class_names = 'configs/_base_/class_names/voc21.txt'  # experiments: model.name_path
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
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
        ann_file='ImageSets/Segmentation/val.txt',
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
