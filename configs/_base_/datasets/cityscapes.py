# Cityscapes val: 500 images (2048x1024), 19 classes, MMSeg's CityscapesDataset
# (*_gtFine_labelTrainIds.png from MMSeg's cityscapes converter). Layout: data/README.md.
# Resize to short side 448 as upstream ProxyCLIP's cfg_city_scapes.py (_ovss_eval_448.py), which also sets
# model slide_crop=224, slide_stride=112: an experiment config sets those in its model dict.
_base_ = ['./_ovss_eval_448.py']
dataset_type = 'CityscapesDataset'
data_root = 'data/cityscapes'
class_names = 'configs/_base_/class_names/cityscapes.txt'  # experiments: model.name_path
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
    ),
)
test_dataloader = val_dataloader
