"""``tools/test.py`` / ``python -m proxyseg.apis.test_cli``: parse the arguments, call
:func:`proxyseg.apis.evaluation.evaluate`, print a short summary. Nothing heavy is imported before
the usage checks pass."""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from .flags import add_checkpoint_flag, add_device_flag

USAGE = """Evaluate a config with mmengine's Runner (MMSeg datasets, transforms, IoUMetric).

    python tools/test.py configs/proxyclip/proxyclip_vit-b16_dino-b8_coco-object.py
    python tools/test.py CONFIG --cfg-options model.vfm.arch=b16 --show-dir vis --show-n 5

Writes <work_dir>/<timestamp>/results.{json,md} (and a copy of both in <work_dir>); mmengine's log
goes to <work_dir>/<timestamp>/<timestamp>.log (also on the console with --verbose).
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tools/test.py", description=USAGE,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="config file")
    p.add_argument("--work-dir", help="where results/logs go (default: work_dirs/<config name>)")
    p.add_argument("--cfg-options", nargs="+", default=[], metavar="KEY=VALUE",
                   help="override config entries, mmengine style: model.vfm.arch=b16 model.prob_thd=0.1")
    p.add_argument("--data-root", help="dataset root (overrides the config's data_root)")
    add_checkpoint_flag(p)
    p.add_argument("--clip-checkpoint", help="CLIP weight file")
    p.add_argument("--show-dir", help="save overlays (prediction | ground truth) here, under the run's folder")
    p.add_argument("--show-n", type=int, default=None, help="with --show-dir: overlays for the first N images only")
    add_device_flag(p)
    p.add_argument("--window-batch", type=int, help="windows per forward (model.window_batch)")
    p.add_argument("--amp", choices=["bf16", "fp16"], help="autocast the VFM in this dtype (model.amp)")
    p.add_argument("--amp-clip", action="store_true", help="with --amp: autocast CLIP too (faster, moves more argmax)")
    p.add_argument("--seed", type=int, default=0, help="random seed (recorded in results.json)")
    p.add_argument("--deterministic", action="store_true", help="torch deterministic algorithms")
    p.add_argument("--ignore-bad-labels", action="store_true",
                   help="count label values outside the class range as ignored (default: error naming the file)")
    p.add_argument("--skip-bad", action="store_true",
                   help="evaluate the files that pass the split check; list the others in results.json/md")
    p.add_argument("--limit", type=int, help="evaluate only the first N images (quick checks; N >= 1)")
    p.add_argument("--launcher", choices=["none", "pytorch", "slurm", "mpi"], default="none")
    p.add_argument("--local_rank", "--local-rank", type=int, default=0)
    p.add_argument("--verbose", action="store_true", help="mmengine's logs on the console too (always in the log)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    return p


def evaluate_kwargs(args: argparse.Namespace) -> dict:
    """The :func:`proxyseg.apis.evaluation.evaluate` keywords of parsed ``tools/test.py`` arguments
    (``config`` included; console options ``verbose``/``progress`` left out)."""
    return dict(config=args.config, work_dir=args.work_dir, data_root=args.data_root, checkpoint=args.checkpoint,
                clip_checkpoint=args.clip_checkpoint, cfg_options=list(args.cfg_options), limit=args.limit,
                device=args.device, window_batch=args.window_batch, amp=args.amp, amp_clip=args.amp_clip,
                seed=args.seed, deterministic=args.deterministic, show_dir=args.show_dir, show_n=args.show_n,
                ignore_bad_labels=args.ignore_bad_labels, launcher=args.launcher, skip_bad=args.skip_bad)


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from .evaluation import evaluate, summary_lines

    kw = evaluate_kwargs(args)
    res = evaluate(kw.pop("config"), verbose=args.verbose, progress=not args.no_progress, **kw)
    if res:
        print(summary_lines(res), flush=True)
    return 0


if __name__ == "__main__":
    from ..cli import run_main

    sys.exit(run_main(main))
