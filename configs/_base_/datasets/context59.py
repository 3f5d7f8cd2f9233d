# Pascal Context val without background: 5105 images, 59 classes, MMSeg's PascalContextDataset59
# (reduce_zero_label=True: background pixels are ignored). Layout: data/README.md.
# Images resized to short side 336 (upstream ProxyCLIP); metrics at the original resolution.
# Same images, labels and split as context60.py; only the dataset class and class names differ.
_base_ = ['./context60.py']
dataset_type = 'PascalContextDataset59'
class_names = 'configs/_base_/class_names/context59.txt'  # experiments: model.name_path
val_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = val_dataloader
