# COCO-Object val2017: 5000 COCO images, 81 classes (background + the 80 COCO things),
# labels made from COCO-Stuff-164k by tools/dataset_converters/coco_object.py (see data/README.md).
# Images resized to short side 336 (upstream ProxyCLIP);
# labels are loaded after Resize, so metrics are computed at the original resolution.
# Layout, pipelines and train2017 (train_dataset) for training recipes: _coco.py.
_base_ = ['./_coco.py']
dataset_type = 'COCOObjectDataset'  # registered by proxyseg.mmseg (custom_imports)
data_root = 'data/coco_object'
class_names = 'configs/_base_/class_names/coco_object.txt'  # experiments: model.name_path
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
train_dataset = dict(type=dataset_type, data_root=data_root)
