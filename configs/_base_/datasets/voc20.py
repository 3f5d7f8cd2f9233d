# Pascal VOC 2012 val without background: 1449 images, 20 classes; background pixels are
# ignored (PascalVOC20Dataset, registered by proxyseg.mmseg, reduce_zero_label=True).
# Layout: data/README.md. Images resized to short side 336; metrics at the original resolution.
# Same images, labels and split as voc21.py; only the dataset class and class names differ.
_base_ = ['./voc21.py']
dataset_type = 'PascalVOC20Dataset'
class_names = 'configs/_base_/class_names/voc20.txt'  # experiments: model.name_path
val_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = val_dataloader
