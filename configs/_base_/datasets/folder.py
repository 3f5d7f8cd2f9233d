# Your own labelled data (FolderSegDataset, proxyseg/mmseg/folder_dataset.py; README "Evaluate on your
# own data"). data_root holds images/<stem>.<jpg|png|tif...>, labels/<stem>.<png|tif> (8/16-bit class
# indices, 255 unlabeled) and classes.txt (one class per line, synonyms '; '); optional id_map.json
# ({"raw value": class index or "ignore"}). Pass the folder with --data-root DIR.
# Class file rule: model.name_path if set, else <data_root>/classes.txt; the dataset uses the same file.
# Images resized to short side 336 (as the benchmark bases); metrics at the original resolution.
_base_ = ['./_ovss_eval.py']
dataset_type = 'FolderSegDataset'  # registered by proxyseg.mmseg
data_root = 'data/folder'
# experiments: model.name_path={{_base_.class_names}}. A placeholder (the demo's 4 classes) so that a plain
# mmseg Runner can build the model; proxyseg's evaluation replaces it by <data_root>/classes.txt (or by the
# file given with --cfg-options model.name_path=FILE).
class_names = 'configs/_base_/class_names/folder_placeholder.txt'
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 336), keep_ratio=True),
    dict(type='LoadFolderLabels'),
    dict(type='PackSegInputs'),
]
val_dataloader = dict(
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='images', seg_map_path='labels'),
        class_file=None,  # default <data_root>/classes.txt
        id_map=None,  # dict or JSON file; default <data_root>/id_map.json when present
        ignore_index=255,  # the evaluator's ignore_index follows it
        reduce_zero_label=False,
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'], ignore_index=255)
test_evaluator = val_evaluator
