"""Sweeps: run a grid of configs x ``--cfg-options`` through tools/test.py, resumably, and write
tables (md/csv/json) and pictures (bars, heatmap, overlay montage). See docs/sweeps.md."""
from .runner import SweepError, SweepOptions, SweepRunner, cell_status, run_sweep, salt_args
from .spec import Cell, Spec, SpecError, build_spec, load_spec

__all__ = ["Cell", "Spec", "SpecError", "SweepError", "SweepOptions", "SweepRunner", "build_spec", "cell_status",
           "load_spec", "run_sweep", "salt_args"]
