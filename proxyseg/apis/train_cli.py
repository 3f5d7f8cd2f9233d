"""``tools/train.py`` / ``python -m proxyseg.apis.train_cli``: parse the arguments and call
:func:`proxyseg.apis.training.train`."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from .flags import add_checkpoint_flag, add_device_flag

USAGE = """Train an MMSeg model from a config with mmengine's Runner (MaskCLIP+ students on pseudo-labels).

    python tools/train.py configs/maskclip_plus/maskclip-plus_deeplabv3plus_r101_coco-stuff164k.py --amp
    python tools/train.py CONFIG --resume                  # continue from work_dir's last checkpoint
    python tools/train.py CONFIG --resume work_dirs/x/iter_4000.pth
    python tools/train.py CONFIG --test                    # evaluate (test_dataloader) after training
    torchrun --nproc_per_node 4 tools/train.py CONFIG --launcher pytorch

Checkpoints (iter_N.pth, last_checkpoint) and logs (<timestamp>/<timestamp>.log,
<timestamp>/vis_data/scalars.json) go to --work-dir (default work_dirs/<config name>);
--test also writes results.{json,md} there as tools/test.py does.
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tools/train.py", description=USAGE,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="train config file")
    p.add_argument("--work-dir", help="checkpoints and logs (default: work_dirs/<config name>)")
    p.add_argument("--resume", nargs="?", const="auto", default=None, metavar="CHECKPOINT",
                   help="resume training (optimizer, scheduler, iteration): from CHECKPOINT, or without a value "
                        "from the work dir's last checkpoint")
    p.add_argument("--amp", action="store_true", help="mixed precision (fp16 AmpOptimWrapper; needs a GPU)")
    p.add_argument("--cfg-options", nargs="+", default=[], metavar="KEY=VALUE",
                   help="override config entries, mmengine style: train_cfg.max_iters=1000 "
                        "train_dataloader.batch_size=8")
    p.add_argument("--data-root", help="dataset root (overrides data_root of the train/val/test datasets)")
    add_checkpoint_flag(p, help="weights: a folder searched first for every model's weight files, or a trained "
                                "MMSeg model's .pth to start from (load_from)")
    add_device_flag(p)
    p.add_argument("--test", action="store_true", help="after training, evaluate on test_dataloader and write "
                                                       "results.{json,md} (same format as tools/test.py)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--deterministic", action="store_true", help="torch deterministic algorithms")
    p.add_argument("--no-check", action="store_true", help="skip the check that every training image has a label")
    p.add_argument("--launcher", choices=["none", "pytorch", "slurm", "mpi"], default="none")
    p.add_argument("--local_rank", "--local-rank", type=int, default=0)
    p.add_argument("--verbose", action="store_true", help="mmengine's logs on the console too (always in the log)")
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    return p


def train_from_argv(argv: Optional[List[str]] = None):
    """Parse ``argv`` and train; returns the finished ``Runner``."""
    args = build_parser().parse_args(argv)
    from .training import train

    runner = train(args.config, work_dir=args.work_dir, data_root=args.data_root, cfg_options=args.cfg_options,
                   resume=args.resume, amp=args.amp, checkpoint=args.checkpoint, device=args.device, test=args.test, seed=args.seed,
                   deterministic=args.deterministic, check_data=not args.no_check, launcher=args.launcher,
                   verbose=args.verbose)
    if runner.results:
        res = runner.results
        print(f"{res['config']} (iter {res['iters']}): mIoU {res['mIoU']} | aAcc {res['aAcc']} | {res['images']} "
              f"images\nresults: {res['results_path']}", flush=True)
    print(f"trained {runner.iter} iterations; checkpoints in {runner.work_dir}", flush=True)
    return runner


def main(argv: Optional[List[str]] = None) -> int:
    train_from_argv(argv)
    return 0


if __name__ == "__main__":
    from ..cli import run_main

    sys.exit(run_main(main))
