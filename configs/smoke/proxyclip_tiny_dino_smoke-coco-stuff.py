# Smoke test on the synthetic COCO-Stuff-164k data (171 classes); see the COCO-Object twin.
_base_ = [
    '../_base_/models/tiny_random.py',
    '../_base_/datasets/smoke_coco_stuff.py',
    '../_base_/default_runtime.py',
]
model = dict(name_path={{_base_.class_names}}, prob_thd=0.0)
