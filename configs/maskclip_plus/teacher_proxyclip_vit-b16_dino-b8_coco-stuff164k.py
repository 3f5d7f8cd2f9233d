# Teacher option (not tried by the original papers): ProxyCLIP ViT-B/16 + DINO ViT-B/8 labels
# COCO-Stuff-164k train2017; train the student on these labels with
# maskclip-plus_deeplabv3plus_r101_proxyclip-teacher_coco-stuff164k.py.
_base_ = ['../proxyclip/proxyclip_vit-b16_dino-b8_coco-stuff164k.py', './_base_/teacher.py']
pseudo_labels = dict(out_dir='pseudo_labels/proxyclip_vit-b16_dino-b8/train2017')
