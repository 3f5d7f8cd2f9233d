# Smoke-test twin of coco_stuff164k.py on the synthetic COCO-Stuff-164k data (171 classes)
# written by `python tools/make_synthetic_data.py` (4 small images per split). Same pipeline as
# the real base except a short side of 112 instead of 336, so that a CPU run takes seconds;
# num_workers=0 keeps everything in one process (_smoke_coco.py).
_base_ = ['./_smoke_coco.py']
dataset_type = 'COCOStuffDataset'
data_root = 'data/synthetic/coco_stuff164k'
class_names = 'configs/_base_/class_names/coco_stuff.txt'  # experiments: model.name_path
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
train_dataset = dict(type=dataset_type, data_root=data_root)  # train2017 (4 images)
