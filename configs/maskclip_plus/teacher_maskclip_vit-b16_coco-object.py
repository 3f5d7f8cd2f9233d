# MaskCLIP ViT-B/16 teacher on COCO-Object train2017 (81 classes), the baseline config as
# evaluated. Background comes from the teacher's prob_thd rule (best class probability below
# model.prob_thd); such pixels get confidence 1 - best. Student:
# maskclip-plus_deeplabv3plus_r101_coco-object.py.
_base_ = ['../baselines/maskclip_vit-b16_coco-object.py', './_base_/teacher.py']
pseudo_labels = dict(out_dir='pseudo_labels/maskclip_vit-b16/train2017')
