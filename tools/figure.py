#!/usr/bin/env python
"""Render a paper figure: N images of a dataset split (rows) x image, ground truth, one column per method.

    python tools/figure.py --preset fig1                      # seed Figure 1: proxyclip vs proxyclip+fa
    python tools/figure.py --preset fig2                      # seed Figure 2: DINO ViT-S/8 vs S/16
    python tools/figure.py --methods clip,maskclip,proxyclip --num 6 --out work_dirs/figures/methods.png
    python tools/figure.py --config configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py \
        --data-root data/synthetic/coco_object --preset fig1   # tiny random models, runs anywhere

Method specs: METHOD[:VFM-ARCH][+fa] (docs/compare.md). Writes the PNG and a JSON next to it
(per image and method: pixel accuracy, seconds).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from proxyseg.cli import run_main  # noqa: E402

DEFAULT_CONFIG = "proxyclip_vit-b16_dino-b8_coco-object"


def parse_args(argv=None):
    from proxyseg.apis.figure import PRESETS

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--preset", choices=sorted(PRESETS),
                   help="; ".join(f"{k}: {v[1]} ({v[0]})" for k, v in sorted(PRESETS.items())))
    g.add_argument("--methods", help="comma-separated method specs, e.g. clip,maskclip,proxyclip:dino-b8,proxyclip+fa")
    p.add_argument("--config", default=DEFAULT_CONFIG, help=f"config path or name (default: {DEFAULT_CONFIG})")
    p.add_argument("--data-root", help="dataset root (default: the config's)")
    p.add_argument("--split", help="split folder replacing the config's (e.g. train2017; default: the config's)")
    p.add_argument("--num", type=int, default=4, help="number of images (rows), the first by name (default 4)")
    p.add_argument("--images", help="comma-separated image names (file stems) instead of the first --num")
    p.add_argument("--seg-map-suffix", help="label file suffix (default: the dataset's convention)")
    p.add_argument("--short-side", type=int, default=-1,
                   help="resize images to this short side (default: the config's test Resize; 0 = original size)")
    p.add_argument("--cell-height", type=int, default=220, help="height of each panel in pixels (default 220)")
    p.add_argument("--alpha", type=float, default=0.6, help="colour weight of the overlays in [0, 1] (default 0.6)")
    p.add_argument("--out", help="output PNG (default: work_dirs/figures/<preset or 'compare'>.png)")
    p.add_argument("--device", default="auto", help="cpu | cuda | cuda:N (default: cuda if available)")
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    args = p.parse_args(argv)
    if not 1 <= args.num <= 64:
        p.error("--num must be between 1 and 64")
    if not 32 <= args.cell_height <= 2048:
        p.error("--cell-height must be between 32 and 2048")
    if not 0.0 <= args.alpha <= 1.0:
        p.error("--alpha must be in [0, 1]")
    if args.short_side < -1:
        p.error("--short-side must be >= 0")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from proxyseg.apis.compare import parse_specs
    from proxyseg.apis.figure import PRESETS, dataset_figure
    from proxyseg.errors import UsageError

    methods = args.methods or PRESETS[args.preset or "fig1"][0]
    parse_specs(methods)  # a bad spec fails before the model loads
    out = Path(args.out or f"work_dirs/figures/{args.preset or ('compare' if args.methods else 'fig1')}.png")
    if out.suffix.lower() != ".png":
        raise UsageError(f"--out {out}: the figure is a PNG; give a file name ending in .png")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--out {out}: cannot create its folder ({e.strerror or e})") from None
    names = [n.strip() for n in args.images.split(",") if n.strip()] if args.images else None
    fig, summary = dataset_figure(args.config, methods, num=args.num, names=names, data_root=args.data_root,
                                  split=args.split, device=args.device, short_side=args.short_side or None,
                                  alpha=args.alpha, cell_height=args.cell_height, seg_map_suffix=args.seg_map_suffix,
                                  progress=lambda n, s: print(f"{n}: {s:.2f} s", file=sys.stderr))
    fig.save(out)
    out.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"{out} ({fig.image.width}x{fig.image.height}, {len(summary['images'])} images x "
          f"{len(summary['methods'])} methods)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
