# COCO-Object under the paper protocol (upstream ProxyCLIP; docs/protocols.md): as coco_object.py, but
# unlabeled pixels (255) count as background (upstream's labels come from GroupViT's converter, which
# does this), and upstream's class file as it is (`bed` both on the background line and as class 60).
# The shared protocol (255 ignored, corrected class file) is coco_object.py.
_base_ = ['./coco_object.py']
class_names = 'configs/_base_/class_names/coco_object_paper.txt'  # experiments: model.name_path
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 336), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='UnlabeledToBackground', unlabeled=255, background=0),  # registered by proxyseg.mmseg
    dict(type='PackSegInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
