"""Benchmark of the sweep's shared pass against evaluating the cells one by one.

    python tools/benchmark.py --shared-pass                          # tiny random models
    python tools/benchmark.py --shared-pass --model vit-b --images 2 # ViT-B/16 + DINO ViT-B/8, random weights

Two grids, each timed three ways on the same images in the same run: one ProxyCLIP evaluation
(the unit), the cells one by one (what every repository of the field does), and one shared pass
(:class:`proxyseg.models.shared_pass.SharedPass`). Before any time is reported, every cell's
shared-pass logits are checked equal to its own (max |diff| 0 in fp32 on CPU). Writes
``<out>/shared_pass.{json,md}``.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import torch

from ..errors import UsageError
from ..models import OpenVocabSegmenter
from ..models.shared_pass import SharedPass
from ..results import atomic_write_json, atomic_write_text, markdown_table
from .bench import BenchConfig, build_segmenter_for, host_info

GRIDS = {
    "beta_gamma": [dict(type="proxyclip", beta=b, gamma=g) for b in (1.0, 1.2, 1.4, 1.6) for g in (2.0, 3.0, 4.0, 5.0)],
    "methods": ["clip", "maskclip", "proxyclip", "clearclip", "sclip", "naclip"],
}
TARGETS = {"beta_gamma": 1.5, "methods": 2.5}  # shared pass / one ProxyCLIP evaluation (issue 15)


def cells_for(grid: str, lead: OpenVocabSegmenter) -> List[OpenVocabSegmenter]:
    """One segmenter per cell, all sharing the lead's CLIP, VFM and text embeddings."""
    from ..methods import method_names

    specs = [s for s in GRIDS[grid] if not isinstance(s, str) or s in method_names()]
    out = []
    for spec in specs:
        m = OpenVocabSegmenter(lead.clip_model, lead.text.tokenizer, lead.vfm, classes=lead.class_names,
                               method=spec, slide_crop=lead.slide_crop, slide_stride=lead.slide_stride,
                               window_batch=lead.window_batch, templates=list(lead.text.templates))
        out.append(m.to(lead.clip_mean.device).eval())
    return out


def _time(fn, device: str) -> float:
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def run(cfg: BenchConfig, grids: Sequence[str], repeats: int = 1) -> Dict:
    lead = build_segmenter_for(cfg)
    torch.manual_seed(cfg.seed)
    images = [torch.randn(3, *cfg.size, device=cfg.device) for _ in range(cfg.images)]
    unit = cells_for("beta_gamma", lead)[5]  # proxyclip beta 1.2 gamma 3.0: the published cell
    result = dict(host=host_info(cfg.device), model=cfg.model, size=list(cfg.size), images=cfg.images, grids={})
    with torch.inference_mode():
        for img in images[:1]:  # warm-up
            unit.predict_logits(img)
        for grid in grids:
            cells = cells_for(grid, lead)
            shared = SharedPass(cells)
            max_diff = 0.0
            for img in images[:1]:  # equality gate before any time is reported
                for c, lg in zip(cells, shared.predict_logits(img)):
                    max_diff = max(max_diff, float((c.predict_logits(img) - lg).abs().max()))
            if max_diff > 1e-5:
                raise RuntimeError(f"{grid}: shared pass differs from the cells alone by {max_diff:g}")
            # interleaved repeats, medians: a machine whose load changes affects the three alike
            ones, shareds, cellss = [], [], []
            for _ in range(repeats):
                ones.append(_time(lambda: [unit.predict_logits(i) for i in images], cfg.device))
                shareds.append(_time(lambda: [shared.predict_logits(i) for i in images], cfg.device))
                cellss.append(_time(lambda: [[c.predict_logits(i) for c in cells] for i in images], cfg.device))
            one, t_shared, t_cells = (sorted(v)[len(v) // 2] for v in (ones, shareds, cellss))
            result["grids"][grid] = dict(
                cells=[c.method.label() for c in cells], one_evaluation_s=round(one, 3),
                cell_by_cell_s=round(t_cells, 3), shared_pass_s=round(t_shared, 3),
                shared_over_one=round(t_shared / one, 3), cells_over_one=round(t_cells / one, 3),
                speedup=round(t_cells / t_shared, 2), target_shared_over_one=TARGETS[grid], repeats=repeats,
                max_abs_diff=max_diff)
    return result


def markdown(result: Dict) -> str:
    rows = [(g, len(r["cells"]), r["one_evaluation_s"], r["cell_by_cell_s"], r["shared_pass_s"],
             f"{r['cells_over_one']:.2f}x", f"{r['shared_over_one']:.2f}x (target <= {r['target_shared_over_one']}x)",
             f"{r['speedup']:.1f}x", f"{r['max_abs_diff']:g}") for g, r in result["grids"].items()]
    head = (f"# Shared pass: {result['model']} model, {result['images']} image(s) of {result['size'][0]}x"
            f"{result['size'][1]}, {result['host'].get('device_name') or result['host'].get('cpu', '')}\n\n")
    return head + markdown_table(["grid", "cells", "one eval (s)", "cell by cell (s)", "shared pass (s)",
                                  "cells / one", "shared / one", "speed-up", "max |diff|"], rows)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="tools/benchmark.py --shared-pass", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shared-pass", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--model", default="tiny", choices=["tiny", "vit-b"])
    p.add_argument("--device", default="cpu")
    p.add_argument("--images", type=int, default=2)
    p.add_argument("--size", default="336x448", help="image size HxW")
    p.add_argument("--grids", nargs="+", default=list(GRIDS), choices=list(GRIDS))
    p.add_argument("--window-batch", type=int, default=8)
    p.add_argument("--repeats", type=int, default=3, help="interleaved repeats (medians reported)")
    p.add_argument("--out", default="work_dirs/benchmark")
    a = p.parse_args(argv)
    try:
        size = tuple(int(v) for v in a.size.lower().split("x"))
        assert len(size) == 2 and min(size) > 0
    except (ValueError, AssertionError):
        raise UsageError(f"--size must be HxW (e.g. 336x448), got {a.size!r}") from None
    if a.images < 1:
        raise UsageError("--images must be >= 1")
    cfg = BenchConfig(model=a.model, device=a.device, images=a.images, size=size, templates="a_photo")
    cfg.window_batch = a.window_batch
    result = run(cfg, a.grids, repeats=max(1, a.repeats))
    out = Path(a.out)
    atomic_write_json(out / "shared_pass.json", result)
    md = markdown(result)
    atomic_write_text(out / "shared_pass.md", md)
    print(md + f"\nwritten: {out / 'shared_pass.json'}")
    return 0
