# Smoke teacher: tiny random MaskCLIP (the smoke model, method maskclip) on the synthetic
# COCO-Stuff train2017 (4 images; tools/make_synthetic_data.py). Labels go to
# data/synthetic/coco_stuff164k/pseudo_labels/smoke_maskclip_tiny/train2017.
_base_ = ['../smoke/proxyclip_tiny_dino_smoke-coco-stuff.py', './_base_/teacher.py']
model = dict(method='maskclip', vfm=None)
pseudo_labels = dict(out_dir='pseudo_labels/smoke_maskclip_tiny/train2017', num_workers=0)
