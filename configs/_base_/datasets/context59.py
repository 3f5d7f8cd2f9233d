# Pascal Context val without background: 5105 images, 59 classes, MMSeg's PascalContextDataset59
# (reduce_zero_label=True: background pixels are ignored). Layout: data/README.md.
# Images resized to short side 336 (upstream ProxyCLIP); metrics at the original resolution.
dataset_type = 'PascalContextDataset59'
data_root = 'data/VOCdevkit/VOC2010'
class_names = 'configs/_base_/class_names/context59.txt'  # experiments: model.name_path
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
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassContext'),
        ann_file='ImageSets/SegmentationContext/val.txt',
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
