"""Speed measurements: the upstream reference loop and the benchmark (see docs/benchmarks.md).

Nothing here imports mmseg/mmcv/mmengine: ``tools/benchmark.py`` runs on a box with only torch,
timm, open_clip and ftfy.
"""
from .reference_loop import ReferenceLoop

__all__ = ["ReferenceLoop"]
