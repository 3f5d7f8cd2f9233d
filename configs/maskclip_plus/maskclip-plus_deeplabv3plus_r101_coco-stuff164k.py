# MaskCLIP+ (Zhou et al., ECCV 2022), annotation-free, on COCO-Stuff-164k: DeepLabV3+ R-101-d8
# trained on MaskCLIP ViT-B/16 pseudo-labels (teacher_maskclip_vit-b16_coco-stuff164k.py), then
# evaluated like every other method (val2017, 171 classes). Seed Table 1: 15.16 mIoU
# (MaskCLIP 12.51). Recipe: MaskCLIP+'s annotation-free COCO-Stuff schedule, 8k iterations at
# 4 GPUs x 4 images of 512x512 crops (one GPU: --cfg-options train_dataloader.batch_size=16).
#   python tools/make_pseudo_labels.py configs/maskclip_plus/teacher_maskclip_vit-b16_coco-stuff164k.py
#   python tools/train.py configs/maskclip_plus/maskclip-plus_deeplabv3plus_r101_coco-stuff164k.py --amp
#   python tools/test.py configs/maskclip_plus/maskclip-plus_deeplabv3plus_r101_coco-stuff164k.py \
#       --checkpoint work_dirs/maskclip-plus_deeplabv3plus_r101_coco-stuff164k/iter_8000.pth
_base_ = [
    '../_base_/datasets/coco_stuff164k.py',
    './_base_/student_deeplabv3plus_r101.py',
    './_base_/schedule_8k.py',
]
# the labels: written by teacher_config to its pseudo_labels.out_dir (relative to data_root)
teacher_config = 'configs/maskclip_plus/teacher_maskclip_vit-b16_coco-stuff164k.py'
pseudo_label_dir = 'pseudo_labels/maskclip_vit-b16/train2017'
num_classes = 171
crop_size = (512, 512)
model = dict(decode_head=dict(num_classes=num_classes), auxiliary_head=dict(num_classes=num_classes))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),  # the pseudo-label PNG: class ids, 255 = ignored
    # dict(type='PseudoLabelConfidenceThreshold', thd=0.5),  # stricter threshold at training time
    dict(type='RandomResize', scale=(2048, 512), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type={{_base_.dataset_type}},
        data_root={{_base_.data_root}},
        data_prefix=dict(img_path='images/train2017', seg_map_path=pseudo_label_dir),
        ann_file=pseudo_label_dir + '/labelled.txt',  # the images the teacher labelled
        pipeline=train_pipeline,
    ),
)
# the student is evaluated on the same val2017 labels and metric; it sees images at its own
# training scale (short side 512, MMSeg's COCO-Stuff protocol) instead of the teacher's 336
student_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=student_test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=student_test_pipeline))
