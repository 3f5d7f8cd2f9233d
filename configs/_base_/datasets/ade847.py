# ADE20K-Full with 847 classes (ADE847), CAT-Seg layout: 2000 validation images,
# images_detectron2/validation/<name>.jpg and annotations_detectron2/validation/<name>.tif (uint16,
# 0..846, 65535 unlabeled) written by tools/dataset_converters/ade847.py. Short side 448 as upstream
# ProxyCLIP's cfg_ade847.py. Labels are 16 bit: LoadAnnotations16 (proxyseg.mmseg) and
# IoUMetric(ignore_index=65535); see docs/protocols.md for upstream's handling of class 255.
_base_ = ['./_ovss_eval_448.py']
dataset_type = 'ADE20K847Dataset'
data_root = 'data/ADE20K_2021_17_01'
class_names = 'configs/_base_/class_names/ade847.txt'  # experiments: model.name_path
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 448), keep_ratio=True),
    dict(type='LoadAnnotations16'),
    dict(type='PackSegInputs'),
]
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='images_detectron2/validation', seg_map_path='annotations_detectron2/validation'),
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'], ignore_index=65535)
test_evaluator = val_evaluator
