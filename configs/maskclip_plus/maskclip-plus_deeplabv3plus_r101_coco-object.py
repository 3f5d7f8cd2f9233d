# MaskCLIP+ on COCO-Object (81 classes: background + 80 things): the COCO-Stuff recipe with the
# COCO-Object dataset and teacher_maskclip_vit-b16_coco-object.py's labels. No published number.
_base_ = ['./maskclip-plus_deeplabv3plus_r101_coco-stuff164k.py']
teacher_config = 'configs/maskclip_plus/teacher_maskclip_vit-b16_coco-object.py'
num_classes = 81
model = dict(decode_head=dict(num_classes=num_classes), auxiliary_head=dict(num_classes=num_classes))
_data = dict(type='COCOObjectDataset', data_root='data/coco_object')
train_dataloader = dict(dataset=_data)
val_dataloader = dict(dataset=dict(_data, data_prefix=dict(img_path='images/val2017', seg_map_path='annotations/val2017')))
test_dataloader = val_dataloader
