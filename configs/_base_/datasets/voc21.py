# Pascal VOC 2012 val: 1449 images, 21 classes (background + 20), MMSeg's PascalVOCDataset.
# Class 0 (background) is queried with stuff names (see the class file). Layout: data/README.md.
# Images resized to short side 336 (upstream ProxyCLIP); metrics at the original resolution.
_base_ = ['./_ovss_eval.py']
dataset_type = 'PascalVOCDataset'
data_root = 'data/VOCdevkit/VOC2012'
class_names = 'configs/_base_/class_names/voc21.txt'  # experiments: model.name_path
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
        ann_file='ImageSets/Segmentation/val.txt',
    ),
)
test_dataloader = val_dataloader
