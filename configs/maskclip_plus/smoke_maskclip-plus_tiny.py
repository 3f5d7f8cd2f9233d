# Smoke MaskCLIP+: a tiny DeepLabV3+ (ResNet-18-ish, 64x64 crops, 8 iterations, batch 2) on the
# labels of smoke_teacher_maskclip_tiny.py; CPU, seconds.
#   python tools/make_synthetic_data.py
#   python tools/make_pseudo_labels.py configs/maskclip_plus/smoke_teacher_maskclip_tiny.py --device cpu
#   python tools/train.py configs/maskclip_plus/smoke_maskclip-plus_tiny.py --device cpu --test
_base_ = [
    '../_base_/datasets/smoke_coco_stuff.py',
    './_base_/student_tiny.py',
    './_base_/schedule_smoke.py',
]
teacher_config = 'configs/maskclip_plus/smoke_teacher_maskclip_tiny.py'
pseudo_label_dir = 'pseudo_labels/smoke_maskclip_tiny/train2017'
num_classes = 171
model = dict(decode_head=dict(num_classes=num_classes), auxiliary_head=dict(num_classes=num_classes))
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type={{_base_.dataset_type}},
        data_root={{_base_.data_root}},
        data_prefix=dict(img_path='images/train2017', seg_map_path=pseudo_label_dir),
        ann_file=pseudo_label_dir + '/labelled.txt',
        pipeline={{_base_.train_pipeline}},  # 64x64 crops
    ),
)
val_dataloader = None  # no validation while training; evaluate with --test or tools/test.py
val_cfg = None
val_evaluator = None
