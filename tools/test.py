#!/usr/bin/env python
"""Evaluate a config with mmengine's Runner (MMSeg datasets, transforms, IoUMetric).

    python tools/test.py configs/proxyclip/proxyclip_vit-b16_dino-b8_coco-object.py
    python tools/test.py CONFIG --cfg-options model.vfm.arch=b16 --show-dir vis --show-n 5

The work is done by ``proxyseg.apis.evaluate`` (see ``--help``); this file only runs it.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from proxyseg.apis.test_cli import build_parser, main  # noqa: E402,F401
from proxyseg.cli import run_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(main))
