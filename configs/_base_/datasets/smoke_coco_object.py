# Smoke-test twin of coco_object.py on the synthetic COCO-Object data (81 classes)
# written by `python tools/make_synthetic_data.py` (4 small images per split). Same pipeline as
# the real base except a short side of 112 instead of 336, so that a CPU run takes seconds;
# num_workers=0 keeps everything in one process (_smoke_coco.py).
_base_ = ['./_smoke_coco.py']
dataset_type = 'COCOObjectDataset'
data_root = 'data/synthetic/coco_object'
class_names = 'configs/_base_/class_names/coco_object.txt'  # experiments: model.name_path
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
train_dataset = dict(type=dataset_type, data_root=data_root)  # train2017 (4 images)
