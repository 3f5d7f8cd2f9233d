# Seed study, Table 2 (CLIP ViT-B/16, OpenAI): ProxyCLIP on COCO-Object with DINO ViT-B/16, DINO ViT-B/8 and
# SAM ViT-B as the VFM, measured | published | delta.
#   python tools/sweep.py configs/paper/seed_table2.py
#   python tools/sweep.py configs/paper/seed_table2.py --limit 2 --synthetic data/synthetic   # CI smoke
from proxyseg.data.benchmarks import SEED_EXPECTED as _SEED
from proxyseg.data.benchmarks import SEED_SAM_OBJECT as _SAM

name = 'seed_table2'
title = 'Seed Table 2: ProxyCLIP VFM = DINO B/16, DINO B/8, SAM B on COCO-Object'
metric = 'mIoU'
_B8 = 'proxyclip_vit-b16_dino-b8_coco-object'
_B16 = 'proxyclip_vit-b16_dino-b16_coco-object'
cells = [
    dict(label='DINO ViT-B/16', group='COCO-Object', series='DINO ViT-B/16', config=f'configs/proxyclip/{_B16}.py',
         expected=_SEED[_B16]),
    dict(label='DINO ViT-B/8', group='COCO-Object', series='DINO ViT-B/8', config=f'configs/proxyclip/{_B8}.py',
         expected=_SEED[_B8]),
    dict(label='SAM ViT-B', group='COCO-Object', series='SAM ViT-B', config=f'configs/proxyclip/{_B8}.py',
         overrides={'model.vfm.type': 'sam', 'model.vfm.arch': 'b'}, expected=_SAM),
]
