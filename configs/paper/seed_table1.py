# Seed study, Table 1 (CLIP ViT-B/16, OpenAI): MaskCLIP, MaskCLIP+, ProxyCLIP and ProxyCLIP + feature
# adjustment on COCO-Stuff-164k and COCO-Object, measured | published | delta.
#   python tools/sweep.py configs/paper/seed_table1.py
#   python tools/sweep.py configs/paper/seed_table1.py --limit 2 --synthetic data/synthetic   # CI smoke
# MaskCLIP+ is a trained student: train it first (configs/maskclip_plus/, docs/maskclip_plus.md); the
# cell loads its checkpoint through `load_from`. Numbers: proxyseg/data/benchmarks.py SEED_EXPECTED.
# Cells without a seed number (not in the seed's Table 1 as known to us) have expected=None.
from proxyseg.data.benchmarks import SEED_EXPECTED as _SEED

name = 'seed_table1'
title = 'Seed Table 1: MaskCLIP / MaskCLIP+ / ProxyCLIP / ProxyCLIP + feature adjustment'
metric = 'mIoU'
_MASKCLIP_PLUS = 'configs/maskclip_plus/maskclip-plus_deeplabv3plus_r101_coco-stuff164k.py'
_MASKCLIP_PLUS_CKPT = 'work_dirs/maskclip-plus_deeplabv3plus_r101_coco-stuff164k/iter_8000.pth'


def _cell(group, series, config, **kw):
    stem = config.rsplit('/', 1)[-1][:-3]
    return dict(group=group, series=series, label=f'{series} ({group})', config=config,
                expected=_SEED.get(stem), **kw)


cells = [
    _cell('COCO-Stuff', 'MaskCLIP', 'configs/baselines/maskclip_vit-b16_coco-stuff164k.py'),
    _cell('COCO-Stuff', 'MaskCLIP+', _MASKCLIP_PLUS, overrides={'load_from': _MASKCLIP_PLUS_CKPT}),
    _cell('COCO-Stuff', 'ProxyCLIP', 'configs/proxyclip/proxyclip_vit-b16_dino-b8_coco-stuff164k.py'),
    _cell('COCO-Stuff', 'ProxyCLIP + feature adjust', 'configs/proxyclip/proxyclip_vit-b16_dino-b8_fa_coco-stuff164k.py'),
    _cell('COCO-Object', 'MaskCLIP', 'configs/baselines/maskclip_vit-b16_coco-object.py'),
    _cell('COCO-Object', 'ProxyCLIP', 'configs/proxyclip/proxyclip_vit-b16_dino-b8_coco-object.py'),
    _cell('COCO-Object', 'ProxyCLIP + feature adjust', 'configs/proxyclip/proxyclip_vit-b16_dino-b8_fa_coco-object.py'),
]
