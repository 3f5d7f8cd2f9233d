# Evaluation settings shared by the dataset bases in this folder. Each of them inherits this file
# (`_base_ = ['./_ovss_eval.py']`, or a base that does) and adds its dataset:
#   dataset_type = ...; data_root = ...; class_names = ...  (experiments: model.name_path)
#   val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, data_prefix=..., ...))
#   test_dataloader = val_dataloader
# mmengine merges a child's dicts into these only after the child ran, so the child's
# `test_dataloader = val_dataloader` is its own partial dict (hence restated), and a list such as
# test_pipeline is replaced, not merged: a base that changes it restates the dataloaders' pipeline.
# Images resized to short side 336 (upstream ProxyCLIP); labels are loaded after Resize, so
# metrics are computed at the original resolution.
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
    dataset=dict(pipeline=test_pipeline),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
