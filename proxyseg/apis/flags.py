"""Command-line flags shared by every tool, so each has one name and one meaning everywhere."""
from __future__ import annotations

import argparse

CHECKPOINT_HELP = ("weights: a folder searched first for every model's weight files, a VFM weight file, or a "
                   "trained MMSeg model's .pth (e.g. a MaskCLIP+ student)")


def add_checkpoint_flag(p: argparse.ArgumentParser, help: str = CHECKPOINT_HELP) -> None:
    """``--checkpoint PATH``: the one weights flag (see :data:`CHECKPOINT_HELP`)."""
    p.add_argument("--checkpoint", metavar="PATH", help=help)


def add_device_flag(p: argparse.ArgumentParser, default: str = "auto") -> None:
    """``--device auto|cpu|cuda|cuda:N``: where the model runs (passed on, never via the environment)."""
    p.add_argument("--device", default=default, help="auto | cpu | cuda | cuda:N (auto: cuda if available)")
