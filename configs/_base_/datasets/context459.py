# Pascal Context with all 459 classes (PC459), CAT-Seg layout: VOC2010 val, 5105 images, labels
# annotations_detectron2/pc459_val/<name>.tif (uint16, 0..458, 65535 unlabeled) written by
# tools/dataset_converters/pascal_context.py. Short side 448 as upstream ProxyCLIP's cfg_context459.py.
# Labels are 16 bit: LoadAnnotations16 (proxyseg.mmseg) and IoUMetric(ignore_index=65535); see
# docs/protocols.md for upstream's handling of class 255.
_base_ = ['./_ovss_eval_448.py']
dataset_type = 'PascalContext459Dataset'
data_root = 'data/VOCdevkit/VOC2010'
class_names = 'configs/_base_/class_names/context459.txt'  # experiments: model.name_path
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
        data_prefix=dict(img_path='JPEGImages', seg_map_path='annotations_detectron2/pc459_val'),
        ann_file='ImageSets/SegmentationContext/val.txt',
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'], ignore_index=65535)
test_evaluator = val_evaluator
