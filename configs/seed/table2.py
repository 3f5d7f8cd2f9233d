# Seed paper, Table 2: ProxyCLIP with different VFMs (DINO ViT-B/16, DINO ViT-B/8, SAM ViT-B) on
# COCO-Object (81 classes), CLIP ViT-B/16 (openai), mIoU.
#   python tools/sweep.py configs/seed/table2.py          # -> work_dirs/sweeps/table2/table.md
#   python tools/sweep.py configs/seed/table2.py --show-n 4   # + the same images across VFMs
# The seed's numbers were not available to us: expected=None everywhere (no guesses). When they
# are, write e.g. expected=dict(mIoU=..., source='seed paper, Table 2').
name = 'table2'
title = 'Seed Table 2: ProxyCLIP VFM = DINO B/16, DINO B/8, SAM B on COCO-Object'
metric = 'mIoU'
_BASE = 'configs/proxyclip/proxyclip_vit-b16_dino-b8_coco-object.py'
cells = [
    dict(label='DINO ViT-B/16', config='configs/proxyclip/proxyclip_vit-b16_dino-b16_coco-object.py',
         expected=None),  # seed's number not available to us
    dict(label='DINO ViT-B/8', config=_BASE, expected=None),  # seed's number not available to us
    dict(label='SAM ViT-B', config=_BASE, overrides={'model.vfm.type': 'sam', 'model.vfm.arch': 'b'},
         expected=None),  # seed's number not available to us
]
