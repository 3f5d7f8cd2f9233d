#!/usr/bin/env python
"""Check a prepared benchmark in seconds: counts vs the official val size, image/label pairs, label values.

    python tools/check_data.py voc21                                   # data/VOCdevkit/VOC2012
    python tools/check_data.py context459 --data-root /data/VOCdevkit/VOC2010 --all
    python tools/check_data.py voc21 --data-root data/synthetic/VOCdevkit/VOC2012 --partial
    python tools/check_data.py --list
    python tools/check_data.py folder --data-root DIR [--classes FILE] [--id-map FILE]   # your own data

Prints what is wrong and the converter command that fixes it; exit status 1 on a problem.
Datasets: coco_stuff164k, coco_object, voc21, voc20, context60, context59, context459,
cityscapes, ade20k, ade847 (proxyseg/data/checks.py), and folder (your own data: proxyseg/data/folder.py).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from proxyseg.data.checks import SPECS, check  # noqa: E402


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    names = sorted(SPECS) + ["folder"]  # folder: your own data (proxyseg/data/folder.py)
    p.add_argument("dataset", nargs="?", choices=names, metavar="DATASET", help=", ".join(names))
    p.add_argument("--data-root", help="the dataset folder (default: the configs' data_root)")
    p.add_argument("--sample", type=int, default=20, help="labels whose values are read (default: %(default)s)")
    p.add_argument("--all", action="store_true", help="read every label")
    p.add_argument("--partial", action="store_true", help="fewer images than the official split is fine")
    p.add_argument("--list", action="store_true", help="list the datasets and their default data roots")
    p.add_argument("--classes", help="folder: class file (default DATA_ROOT/classes.txt)")
    p.add_argument("--id-map", help="folder: JSON id map (default DATA_ROOT/id_map.json when present)")
    p.add_argument("--ignore-index", type=int, default=255, help="folder: unlabeled value (default: %(default)s)")
    p.add_argument("--img-dir", default="images", help="folder: image folder in DATA_ROOT (default: %(default)s)")
    p.add_argument("--label-dir", default="labels", help="folder: label folder in DATA_ROOT (default: %(default)s)")
    p.add_argument("--seg-suffix", nargs="+", help="folder: label suffix(es) (default: .png .tif .tiff)")
    p.add_argument("--reduce-zero-label", action="store_true", help="folder: 0 is unlabeled, v is class v-1")
    args = p.parse_args(argv)
    if args.dataset == "folder":
        from proxyseg.data.folder import main_report

        return main_report(args)
    if args.list:
        for s in SPECS.values():
            print(f"{s.name:15s} {s.data_root:32s} val {s.val_images}")
        print(f"{'folder':15s} {'--data-root DIR':32s} your own data: images/, labels/, classes.txt")
        return 0
    if not args.dataset:
        p.error("give a dataset (or --list)")
    rep = check(args.dataset, args.data_root, sample=0 if args.all else args.sample, partial=args.partial)
    for n in rep.notes:
        print(f"ok: {n}")
    for pr in rep.problems:
        print(f"problem: {pr}", file=sys.stderr)
    print(f"{args.dataset} at {rep.root}: " + ("OK" if rep.ok else f"{len(rep.problems)} problem(s)"))
    return 0 if rep.ok else 1


if __name__ == "__main__":
    sys.exit(main())
