# Pascal Context val: 5105 images, 60 classes (background + 59), MMSeg's PascalContextDataset.
# Layout (VOC2010 + SegmentationClassContext from MMSeg's pascal_context converter): data/README.md.
# Images resized to short side 336 (upstream ProxyCLIP); metrics at the original resolution.
_base_ = ['./_ovss_eval.py']
dataset_type = 'PascalContextDataset'
data_root = 'data/VOCdevkit/VOC2010'
class_names = 'configs/_base_/class_names/context60.txt'  # experiments: model.name_path
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassContext'),
        ann_file='ImageSets/SegmentationContext/val.txt',
    ),
)
test_dataloader = val_dataloader
