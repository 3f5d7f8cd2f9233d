# COCO layout shared by coco_object.py and coco_stuff164k.py (and their smoke twins, via
# _smoke_coco.py): images/{val,train}2017 and annotations/{val,train}2017 under data_root
# (data/README.md). Evaluation on val2017 as in _ovss_eval.py.
_base_ = ['./_ovss_eval.py']
val_dataloader = dict(dataset=dict(data_prefix=dict(img_path='images/val2017', seg_map_path='annotations/val2017')))
test_dataloader = val_dataloader
# train2017 for training recipes (not used by the training-free evaluation): a recipe sets
# train_dataloader = dict(batch_size=..., sampler=..., dataset={{_base_.train_dataset}}).
# A dataset base adds train_dataset = dict(type=dataset_type, data_root=data_root).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(2048, 336), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=(336, 336), cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
train_dataset = dict(
    data_prefix=dict(img_path='images/train2017', seg_map_path='annotations/train2017'),
    pipeline=train_pipeline,
)
