#!/usr/bin/env python
"""Run a sweep spec (configs x overrides) through tools/test.py, resumably, and tabulate it.

    python tools/sweep.py configs/seed/table1.py                 # the seed paper's Table 1
    python tools/sweep.py configs/seed/beta_gamma.py --limit 200 # quick look: first 200 images
    python tools/sweep.py configs/seed/vfm_ablation.py --dry-run # list cells and their commands
    python tools/sweep.py configs/seed/vfm_ablation.py --only sam --force
    python tools/sweep.py configs/seed/table2.py --show-n 4      # + overlays and figure.png

Writes <work_dir>/table.{md,csv,json,png} (+ heatmap.png for 2-D grids, figure.png with
--show-n) after every cell, and one folder per cell under <work_dir>/cells/. Finished cells
(whose results.json parses) are skipped: rerun the same command to resume. See docs/sweeps.md.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from proxyseg.cli import run_main  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", help="sweep spec (python file, e.g. configs/seed/table1.py)")
    p.add_argument("--work-dir", help="sweep folder (default: work_dirs/sweeps/<spec name>)")
    p.add_argument("--dry-run", action="store_true", help="list the cells, their status and commands; run nothing")
    p.add_argument("--only", action="append", default=[], metavar="PATTERN",
                   help="run only cells whose id/label/config/overrides match (substring, or glob with *?[]); "
                        "repeatable")
    p.add_argument("--force", action="store_true", help="rerun the selected cells even if finished")
    p.add_argument("--continue-on-error", action="store_true",
                   help="record a failed cell and go on (default: stop at the first failure)")
    p.add_argument("--no-shared-pass", action="store_true",
                   help="evaluate every cell on its own (default: cells that differ only after CLIP's trunk share "
                        "one pass over the data; docs/sweeps.md)")
    p.add_argument("--isolate", action="store_true",
                   help="run each cell in its own python process (default: in this process, faster)")
    p.add_argument("--verbose", action="store_true", help="show each cell's output (always in cells/<id>/sweep.log)")
    p.add_argument("--no-plots", action="store_true", help="skip table.png / heatmap.png / figure.png")
    p.add_argument("--show-n", type=int, metavar="N",
                   help="save overlays of the first N images per cell (cells/<id>/vis) and figure.png")
    p.add_argument("--device", help="cpu | cuda | cuda:N (passed to tools/test.py)")
    p.add_argument("--data-root", help="dataset root for every cell (overrides the configs' data_root)")
    p.add_argument("--checkpoint", metavar="PATH", help="weights: a folder searched first for every model's weight "
                                                        "files, or a VFM weight file (tools/test.py --checkpoint)")
    p.add_argument("--window-batch", type=int, help="windows per forward (model.window_batch)")
    p.add_argument("--synthetic", metavar="DIR",
                   help="smoke run: every cell on tiny random models and the synthetic twins under DIR "
                        "(tools/make_synthetic_data.py --dataset all --out DIR); the numbers mean nothing")
    g = p.add_argument_group("result-changing options (part of every cell id: changing them starts new cells)")
    g.add_argument("--limit", type=int, help="evaluate only the first N images of every cell")
    g.add_argument("--amp", choices=["bf16", "fp16"], help="autocast dtype")
    g.add_argument("--seed", type=int, help="random seed (tools/test.py --seed)")
    g.add_argument("--deterministic", action="store_true", help="torch deterministic algorithms")
    g.add_argument("--cfg-options", nargs="+", default=[], metavar="KEY=VALUE",
                   help="overrides for every cell (a cell's own overrides win)")
    p.add_argument("--debug", action="store_true", help="print a failing cell's traceback on the console too")
    args = p.parse_args(argv)
    for name in ("show_n", "limit", "window_batch"):
        v = getattr(args, name)
        if v is not None and v < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


def main(argv=None) -> int:
    from proxyseg.sweep import SweepOptions, load_spec, run_sweep, salt_args
    from proxyseg.sweep.runner import identity_salt

    args = parse_args(argv)
    salt = salt_args(limit=args.limit, amp=args.amp, seed=args.seed, cfg_options=args.cfg_options,
                     deterministic=args.deterministic)
    spec = load_spec(args.spec, salt=salt + identity_salt(args.data_root, args.checkpoint)  # ids only
                     + (["--synthetic", str(args.synthetic)] if args.synthetic else []))
    work_dir = Path(args.work_dir) if args.work_dir else Path("work_dirs") / "sweeps" / spec.name
    opts = SweepOptions(
        work_dir=work_dir, only=args.only, force=args.force, dry_run=args.dry_run,
        continue_on_error=args.continue_on_error, isolate=args.isolate, verbose=args.verbose, debug=args.debug,
        shared_pass=not args.no_shared_pass,
        plots=not args.no_plots, show_n=args.show_n, device=args.device, data_root=args.data_root,
        checkpoint=args.checkpoint, window_batch=args.window_batch, test_args=salt, synthetic=args.synthetic,
    )
    return run_sweep(spec, opts)


if __name__ == "__main__":
    sys.exit(run_main(main))
