# ADE20K (ADEChallengeData2016) val: 2000 images, 150 classes, MMSeg's ADE20KDataset
# (reduce_zero_label=True: label 0 'other' is ignored). Layout: data/README.md.
# Images resized to short side 448, as upstream ProxyCLIP's cfg_ade20k.py; metrics at the original resolution.
dataset_type = 'ADE20KDataset'
data_root = 'data/ade/ADEChallengeData2016'
class_names = 'configs/_base_/class_names/ade20k.txt'  # experiments: model.name_path
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
        data_prefix=dict(img_path='images/validation', seg_map_path='annotations/validation'),
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
