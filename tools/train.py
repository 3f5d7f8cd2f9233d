#!/usr/bin/env python
"""Train an MMSeg model from a config with mmengine's Runner (MaskCLIP+ students on pseudo-labels).

    python tools/train.py configs/maskclip_plus/maskclip-plus_deeplabv3plus_r101_coco-stuff164k.py --amp
    python tools/train.py CONFIG --resume        # continue from the work dir's last checkpoint
    python tools/train.py CONFIG --test          # evaluate (test_dataloader) after training

The work is done by ``proxyseg.apis.train`` (see ``--help``); this file only runs it.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from proxyseg.apis.train_cli import build_parser, main, train_from_argv  # noqa: E402,F401
from proxyseg.cli import run_main  # noqa: E402

train = train_from_argv  # ``train(argv) -> Runner`` (tests and scripts)

if __name__ == "__main__":
    sys.exit(run_main(main))
