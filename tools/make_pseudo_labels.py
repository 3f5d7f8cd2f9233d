#!/usr/bin/env python
"""MaskCLIP+ step 1: a frozen teacher labels the training images; labels are cached as MMSeg PNGs.

    python tools/make_pseudo_labels.py configs/maskclip_plus/teacher_maskclip_vit-b16_coco-stuff164k.py
    python tools/make_pseudo_labels.py TEACHER_CONFIG --thd 0.5 --limit 100 --out /tmp/pl
    # self-training round: a trained student is the teacher
    python tools/make_pseudo_labels.py \
        configs/maskclip_plus/maskclip-plus_deeplabv3plus_r101_coco-stuff164k_self-train.py \
        --checkpoint work_dirs/maskclip-plus_deeplabv3plus_r101_coco-stuff164k/iter_8000.pth

For every training image (``pseudo_labels.data_prefix.img_path`` under the dataset's data_root) it
writes ``<out>/<name><seg_map_suffix>`` (uint8 class ids; 255 where the teacher's confidence is
below ``--thd``) and, unless ``--conf none``, ``<out>/<name><seg_map_suffix minus .png>_conf.png``
(uint8, round(255 * confidence)) or ``_conf.npy`` (float16). Then ``labelled.txt`` (the student's
``ann_file``), ``stats.jsonl`` and ``summary.json`` (images, ignored-pixel fraction, class
histogram). ``<out>`` defaults to ``pseudo_labels.out_dir`` relative to the data root. Resumable:
existing labels are skipped unless ``--force``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from proxyseg.cli import run_main  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="teacher config (model + dataset base + pseudo_labels section)")
    p.add_argument("--out", help="output folder (default: pseudo_labels.out_dir under the data root)")
    p.add_argument("--thd", type=float,
                   help="confidence threshold in [0, 1]: below -> 255 (default: pseudo_labels.thd)")
    p.add_argument("--conf", choices=["png", "npy", "none"],
                   help="confidence files (default: pseudo_labels.conf_format)")
    p.add_argument("--checkpoint", metavar="PATH",
                   help="weights: a folder searched first for every model's weight files, or a trained MMSeg "
                        "teacher's .pth (default: pseudo_labels.checkpoint or load_from)")
    p.add_argument("--data-root", help="dataset root (overrides the config's data_root)")
    p.add_argument("--device", default="auto", help="cpu | cuda | cuda:N (default: cuda if available)")
    p.add_argument("--limit", type=int, help="label only the first N training images")
    p.add_argument("--force", action="store_true", help="recompute labels that already exist")
    p.add_argument("--num-workers", type=int, help="dataloader workers (default: pseudo_labels.num_workers)")
    p.add_argument("--batch-size", type=int, help="images per teacher forward (default: pseudo_labels.batch_size)")
    p.add_argument("--cfg-options", nargs="+", default=[], metavar="KEY=VALUE",
                   help="override config entries, mmengine style: model.prob_thd=0.1 pseudo_labels.thd=0.3")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    args = p.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        p.error("--limit must be >= 1")
    return args


def load_config(path: str, cfg_options=(), data_root=None):
    """``Config.fromfile`` + ``--cfg-options`` + ``--data-root`` (set on every dataset of the config)."""
    from proxyseg.mmseg.config import load_config as load

    cfg = load(path, cfg_options)
    if data_root:
        for key in ("train_dataloader", "val_dataloader", "test_dataloader"):
            loader = cfg.get(key)
            if loader and loader.get("dataset") is not None:
                loader.dataset.data_root = data_root
    return cfg


def main(argv=None) -> int:
    args = parse_args(argv)
    from proxyseg.cli import resolve_device
    from proxyseg.weights import weights_dir

    device = resolve_device(args.device)  # passed on; the environment is left alone
    cfg = load_config(args.config, args.cfg_options, args.data_root)
    from proxyseg.mmseg.pseudo_labels import make_pseudo_labels

    folder = args.checkpoint and Path(args.checkpoint).expanduser().is_dir()
    with weights_dir(args.checkpoint if folder else None):
        summary = make_pseudo_labels(
            cfg, out_dir=args.out, thd=args.thd, conf_format=args.conf, checkpoint=None if folder else args.checkpoint,
            device=device, limit=args.limit, force=args.force, num_workers=args.num_workers,
            batch_size=args.batch_size, progress=not args.no_progress, config_path=args.config)
    hist = summary["class_histogram"]
    top = sorted(hist.items(), key=lambda kv: -kv[1])[:5]
    print(f"\n{summary['images']} images labelled ({summary['written']} now, {summary['skipped']} already there) "
          f"in {summary['out_dir']}\nignored pixels: {summary['ignored_fraction']} (thd {summary['thd']}), "
          f"mean confidence {summary['mean_confidence']}, {len(hist)} classes used; top: "
          f"{json.dumps(dict(top))}\nsummary: {Path(summary['out_dir']) / 'summary.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
