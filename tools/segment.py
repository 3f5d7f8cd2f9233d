#!/usr/bin/env python
"""Segment your own images with any class list.

    python tools/segment.py photo.jpg --classes "cat, dog; puppy, sky" --config tiny
    python tools/segment.py a.jpg b.png --classes-file my_classes.txt --background background --prob-thd 0.3

For each IMAGE writes, under --out (default work_dirs/segment):
  <name>_mask.png     palette PNG, pixel value = class id (16-bit gray beyond 256 classes)
  <name>_overlay.png  the image blended with the class colours
  <name>.json         classes, colours, class -> pixel share, image size, config
With --compare SPECS (e.g. clip,maskclip,proxyclip:dino-b8,proxyclip+fa) it writes instead:
  <name>_compare.png  the input, then one titled panel per method, one shared legend
  <name>_compare.json per method: class -> pixel share, seconds (spec grammar: docs/compare.md)
<name> is the image's file name without extension, reduced to [A-Za-z0-9._-] (never a path).
Nothing else is written: an output that would replace one of the input images is refused, and
outputs that already exist are replaced only with --overwrite (both checked before any model loads).
A bad image prints one error line and the others still run; the exit code is 1 if any failed.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from proxyseg.cli import run_main  # noqa: E402
from proxyseg.errors import ProxySegError, UsageError  # noqa: E402
from proxyseg.utils.io import atomic_write_bytes, atomic_write_text  # noqa: E402

DEFAULT_CONFIG = "proxyclip_vit-b16_dino-b8_coco-object"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, WebP, TIFF, ...)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--classes", help="comma-separated classes, synonyms with ';': \"cat, dog; puppy, sky\"")
    g.add_argument("--classes-file", help="class file: one class per line, synonyms separated by '; '")
    p.add_argument("--config", default=DEFAULT_CONFIG,
                   help=f"config path, name under configs/, or 'tiny' (random weights) (default: {DEFAULT_CONFIG})")
    p.add_argument("--out", default="work_dirs/segment", help="output folder (default: work_dirs/segment)")
    p.add_argument("--device", default="auto", help="cpu | cuda | cuda:N (default: cuda if available)")
    p.add_argument("--background", help="extra class 0 that gets pixels below --prob-thd, e.g. 'background'")
    p.add_argument("--prob-thd", type=float, help="background threshold in [0, 1] (needs --background or a "
                   "config class file with a background class; default: the config's)")
    p.add_argument("--max-side", type=int, default=1024,
                   help="downscale larger images to this longer side for inference; masks keep the input size "
                        "(0 = original size; default 1024)")
    p.add_argument("--max-pixels", type=float, default=40, help="refuse images above this many megapixels (default 40)")
    p.add_argument("--alpha", type=float, default=0.5, help="overlay colour weight in [0, 1] (default 0.5)")
    p.add_argument("--compare", metavar="SPECS", help="compare methods side by side: comma-separated specs "
                   "METHOD[:VFM-ARCH][+fa], e.g. clip,maskclip,proxyclip,proxyclip+fa")
    p.add_argument("--checkpoint", help="weights directory searched for every model (sets PROXYSEG_WEIGHTS)")
    p.add_argument("--overwrite", action="store_true", help="replace outputs that already exist under --out")
    p.add_argument("--amp", choices=["bf16", "fp16"], help="autocast dtype for inference")
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    args = p.parse_args(argv)
    if args.max_side < 0:
        p.error("--max-side must be >= 0")
    if not args.max_pixels > 0:
        p.error("--max-pixels must be > 0")
    if not 0.0 <= args.alpha <= 1.0:
        p.error("--alpha must be in [0, 1]")
    return args


def unique_stems(paths):
    """Safe, distinct output stems: ``a/x.jpg, b/x.png -> x, x-2``."""
    from proxyseg.apis import safe_stem

    seen, out = set(), []
    for p in paths:
        stem, n = safe_stem(Path(p).name), 2
        cand = stem
        while cand.lower() in seen:
            cand, n = f"{stem}-{n}", n + 1
        seen.add(cand.lower())
        out.append(cand)
    return out


def output_names(stem: str) -> dict:
    """The three files written for one image: ``{'mask': ..., 'overlay': ..., 'json': ...}``."""
    return {"mask": f"{stem}_mask.png", "overlay": f"{stem}_overlay.png", "json": f"{stem}.json"}


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.resolve() == b.resolve():
            return True
        return a.exists() and b.exists() and os.path.samefile(a, b)  # hard links, bind mounts
    except OSError:
        return False


def check_outputs(images, stems, out: Path, overwrite: bool) -> None:
    """Refuse before any work: an output that is one of the inputs; existing outputs without --overwrite."""
    inputs = [Path(i) for i in images]
    existing = []
    for stem in stems:
        for name in output_names(stem).values():
            target = out / name
            for image in inputs:
                if _same_file(target, image):
                    raise UsageError(f"output {target} would overwrite the input image {image}; "
                                     "choose another --out folder")
            if target.exists() or target.is_symlink():
                existing.append(target)
    if existing and not overwrite:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise UsageError(f"output {existing[0]} already exists{more}; pass --overwrite to replace "
                         "existing outputs or choose another --out folder")


def compare_one(seg, image, stem: str, out: Path, classes, args):
    """``--compare``: ``<stem>_compare.png`` (montage) and ``<stem>_compare.json`` for one image."""
    from proxyseg.apis.montage import compare_figure, compare_summary
    from proxyseg.apis.visualize import png_bytes

    results = seg.compare(image, args.compare, classes, background=args.background, prob_thd=args.prob_thd,
                          name=image, keep_probs=False)
    atomic_write_bytes(out / f"{stem}_compare.png", png_bytes(compare_figure(results, alpha=args.alpha).image))
    info = compare_summary(results, str(image))
    atomic_write_bytes(out / f"{stem}_compare.json", (json.dumps(info, indent=2) + "\n").encode())
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    from proxyseg.apis import Segmenter
    from proxyseg.text.class_names import load_class_names

    if args.checkpoint:
        ck = Path(args.checkpoint).expanduser()
        if not ck.is_dir():
            raise UsageError(f"--checkpoint {args.checkpoint}: not a directory")
        os.environ["PROXYSEG_WEIGHTS"] = str(ck)
    classes = args.classes
    if args.classes_file:
        classes = Path(args.classes_file)
        load_class_names(classes)  # fail before the model loads
    elif classes is not None:
        Segmenter.parse_classes(classes, args.background)
    if args.prob_thd is not None:
        from proxyseg.errors import check_range

        check_range("--prob-thd", args.prob_thd, 0.0, 1.0)
        if args.prob_thd > 0 and classes is not None and not args.background:
            raise UsageError("--prob-thd needs a class for uncertain pixels: add --background background")
    if args.compare:
        from proxyseg.apis.compare import parse_specs

        parse_specs(args.compare)  # a bad spec fails before the model loads
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out, prefix=".write-test")
        probe.close()
    except OSError as e:
        raise UsageError(f"--out {args.out} is not writable ({e.strerror or e}); choose another folder") from None
    stems = unique_stems(args.images)
    check_outputs(args.images, stems, out, args.overwrite)
    overrides = {"amp": args.amp} if args.amp else {}
    seg = Segmenter.from_config(args.config, device=args.device, max_side=args.max_side or None,
                                max_pixels=int(args.max_pixels * 1e6), **overrides)
    if args.compare:
        from proxyseg.apis.compare import panels_of, parse_specs

        panels_of(seg).prepare(parse_specs(args.compare))  # weights of every spec, before any image

    from tqdm import tqdm

    failed = 0
    bar = tqdm(list(zip(args.images, stems)), desc="segment", unit="img", file=sys.stderr,
               disable=len(args.images) < 2)
    for image, stem in bar:
        t0 = time.time()
        try:
            if args.compare:
                res = compare_one(seg, image, stem, out, classes, args)
                tqdm.write(f"{image} -> {out / (stem + '_compare.png')}")
                continue
            res = seg.segment(image, classes, background=args.background, prob_thd=args.prob_thd, name=image)
            names = output_names(stem)
            files = {"mask": names["mask"], "overlay": names["overlay"]}
            atomic_write_bytes(out / files["mask"], res.mask_png(), fsync=False)
            atomic_write_bytes(out / files["overlay"], res.overlay_png(args.alpha), fsync=False)
            info = dict(image=str(image), **res.to_dict(), **files, seconds=round(time.time() - t0, 3))
            atomic_write_text(out / names["json"], json.dumps(info, indent=2) + "\n", fsync=False)
        except (ProxySegError, OSError) as e:
            failed += 1
            msg = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            tqdm.write(f"error: {image}: {msg}" if str(image) not in msg else f"error: {msg}", file=sys.stderr)
            continue
        top = ", ".join(f"{k} {100 * v:.1f}%" for k, v in sorted(res.shares().items(), key=lambda kv: -kv[1])[:5])
        tqdm.write(f"{image} -> {out / files['mask']}  ({top})")
    ok = len(args.images) - failed
    print(f"{ok} of {len(args.images)} image(s) segmented; results in {out}", file=sys.stderr)
    if failed:
        print(f"error: {failed} image(s) failed (see above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
