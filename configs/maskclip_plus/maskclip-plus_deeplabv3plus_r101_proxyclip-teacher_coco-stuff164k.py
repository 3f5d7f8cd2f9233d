# The MaskCLIP+ student trained on ProxyCLIP (ViT-B/16 + DINO-B/8) pseudo-labels instead of
# MaskCLIP's: make them with teacher_proxyclip_vit-b16_dino-b8_coco-stuff164k.py.
_base_ = ['./maskclip-plus_deeplabv3plus_r101_coco-stuff164k.py']
teacher_config = 'configs/maskclip_plus/teacher_proxyclip_vit-b16_dino-b8_coco-stuff164k.py'
pseudo_label_dir = 'pseudo_labels/proxyclip_vit-b16_dino-b8/train2017'
train_dataloader = dict(
    dataset=dict(data_prefix=dict(seg_map_path=pseudo_label_dir), ann_file=pseudo_label_dir + '/labelled.txt'))
