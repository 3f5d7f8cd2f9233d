# Pascal VOC 2012 val without background: 1449 images, 20 classes; background pixels are
# ignored (PascalVOC20Dataset, registered by proxyseg.mmseg, reduce_zero_label=True).
# Layout: data/README.md. Images resized to short side 336; metrics at the original resolution.
dataset_type = 'PascalVOC20Dataset'
data_root = 'data/VOCdevkit/VOC2012'
class_names = 'configs/_base_/class_names/voc20.txt'  # experiments: model.name_path
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
