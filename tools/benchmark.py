#!/usr/bin/env python
"""Benchmark proxyseg's inference path against the upstream per-window loop.

    python tools/benchmark.py                                     # tiny random models, CPU, fp32
    python tools/benchmark.py --model vit-b --images 1 --size 336x448 --repeats 2
    python tools/benchmark.py --model vit-b --dtype bf16 --images 1 --repeats 2
    python tools/benchmark.py --device cuda --model vit-b --dtype bf16 --images 8
    python tools/benchmark.py --shared-pass --model vit-b --images 2   # sweep shared pass vs cell by cell

Checks first that both paths give the same logits (fp32: max |diff| <= 1e-4; bf16/fp16: argmax
agreement with the fp32 reference) and refuses to report a speed-up otherwise (exit code 1).
Writes ``<out>/benchmark.json`` and ``<out>/benchmark.md`` (default ``work_dirs/benchmark``).
Needs only torch, timm, open_clip and ftfy. See docs/benchmarks.md.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from proxyseg.cli import run_main  # noqa: E402

if __name__ == "__main__":
    if "--shared-pass" in sys.argv[1:]:  # a sweep's shared pass vs its cells one by one
        from proxyseg.benchmarks.shared_pass import main
    else:
        from proxyseg.benchmarks.bench import main
    sys.exit(run_main(main))
