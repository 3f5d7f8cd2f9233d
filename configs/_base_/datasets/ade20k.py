# ADE20K (ADEChallengeData2016) val: 2000 images, 150 classes, MMSeg's ADE20KDataset
# (reduce_zero_label=True: label 0 'other' is ignored). Layout: data/README.md.
# Images resized to short side 448, as upstream ProxyCLIP's cfg_ade20k.py (_ovss_eval_448.py);
# metrics at the original resolution.
_base_ = ['./_ovss_eval_448.py']
dataset_type = 'ADE20KDataset'
data_root = 'data/ade/ADEChallengeData2016'
class_names = 'configs/_base_/class_names/ade20k.txt'  # experiments: model.name_path
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='images/validation', seg_map_path='annotations/validation'),
    ),
)
test_dataloader = val_dataloader
