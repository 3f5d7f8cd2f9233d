# ProxyCLIP's main table (Lan et al., ECCV 2024): ProxyCLIP with DINO ViT-B/8 for CLIP ViT-B/16 (OpenAI),
# ViT-L/14 (OpenAI) and ViT-H/14 (LAION-2B) on the eight benchmarks, with the average of the eight
# (a plain mean, as the paper computes it), measured | published | delta.
#   python tools/sweep.py configs/paper/proxyclip_main.py                    # -> work_dirs/sweeps/proxyclip_main
#   python tools/sweep.py configs/paper/proxyclip_main.py --only b16         # one row
#   python tools/sweep.py configs/paper/proxyclip_main.py --limit 2 --synthetic data/synthetic   # CI smoke
# Published numbers come from proxyseg/data/benchmarks.py (BENCHMARKS.md section 2); the ViT-L/14 row
# is unknown to us, so its cells have no paper number (never guessed).
from proxyseg.data.benchmarks import BACKBONES as _BACKBONES
from proxyseg.data.benchmarks import PAPER_EIGHT as _EIGHT
from proxyseg.data.benchmarks import config_name as _config_name
from proxyseg.data.benchmarks import dataset as _dataset
from proxyseg.data.benchmarks import expected_for as _expected_for

name = 'proxyclip_main'
title = "ProxyCLIP main table: CLIP backbone x eight benchmarks (DINO ViT-B/8)"
metric = 'mIoU'
cells = [
    dict(config=f'configs/proxyclip/{_config_name(_b.key, _d)}.py', group=_dataset(_d).title, series=_b.title,
         label=f'{_b.key} {_dataset(_d).key}', expected=_expected_for(_b.key, _d))
    for _b in _BACKBONES for _d in _EIGHT
]
average = [_dataset(_d).title for _d in _EIGHT]
