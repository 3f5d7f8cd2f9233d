# MaskCLIP+ step 1 (teacher): the MaskCLIP ViT-B/16 baseline config, exactly as evaluated in
# seed Table 1 (12.51 mIoU), labels COCO-Stuff-164k train2017 (118k images) for the student.
#   python tools/make_pseudo_labels.py configs/maskclip_plus/teacher_maskclip_vit-b16_coco-stuff164k.py
# -> data/coco_stuff164k/pseudo_labels/maskclip_vit-b16/train2017/<name>_labelTrainIds.png (+ _conf.png)
_base_ = ['../baselines/maskclip_vit-b16_coco-stuff164k.py', './_base_/teacher.py']
pseudo_labels = dict(out_dir='pseudo_labels/maskclip_vit-b16/train2017')
