# ProxyCLIP, CLIP ViT-B/16 (OpenAI) + DINO ViT-B/8 on your own labelled folder:
#   python tools/test.py configs/proxyclip/proxyclip_vit-b16_dino-b8_folder.py --data-root DIR
# (DIR/images, DIR/labels, DIR/classes.txt; README "Evaluate on your own data").
# Background: prob_thd=0 and no background class: every pixel gets one of your classes. If your first
# class is a background class, --cfg-options model.prob_thd=0.3 sends low-confidence pixels to it.
_base_ = [
    '../_base_/models/proxyclip.py',
    '../_base_/datasets/folder.py',
    '../_base_/default_runtime.py',
]
model = dict(name_path={{_base_.class_names}}, prob_thd=0.0, clip=dict(name='ViT-B-16', pretrained='openai'),
             vfm=dict(type='dino', arch='b8'))
