# Smoke test of the folder dataset with tiny random models (no downloads, seconds on a CPU):
#   python tools/make_synthetic_data.py --dataset folder --out data/synthetic/folder
#   python tools/test.py configs/smoke/proxyclip_tiny_dino_folder.py --data-root data/synthetic/folder
_base_ = [
    '../_base_/models/tiny_random.py',
    '../_base_/datasets/folder.py',
    '../_base_/default_runtime.py',
]
data_root = 'data/synthetic/folder'
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 112), keep_ratio=True),
    dict(type='LoadFolderLabels'),
    dict(type='PackSegInputs'),
]
val_dataloader = dict(dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
model = dict(name_path={{_base_.class_names}}, prob_thd=0.0)
