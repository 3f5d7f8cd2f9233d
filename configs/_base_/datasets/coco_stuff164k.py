# COCO-Stuff-164k val2017: 5000 images, 171 classes (80 things + 91 stuff), MMSeg's COCOStuffDataset.
# Layout and converter: data/README.md. Images resized to short side 336 (upstream ProxyCLIP);
# labels are loaded after Resize, so metrics are computed at the original resolution.
# Layout, pipelines and train2017 (train_dataset) for training recipes: _coco.py.
_base_ = ['./_coco.py']
dataset_type = 'COCOStuffDataset'
data_root = 'data/coco_stuff164k'
class_names = 'configs/_base_/class_names/coco_stuff.txt'  # experiments: model.name_path
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
train_dataset = dict(type=dataset_type, data_root=data_root)
