# Seed paper, Table 1: the spec of configs/paper/seed_table1.py (its cells and published numbers,
# from proxyseg/data/benchmarks.py), kept under this name so that work_dirs/sweeps/table1 stays valid.
#   python tools/sweep.py configs/seed/table1.py          # -> work_dirs/sweeps/table1/table.md
import runpy as _runpy
from pathlib import Path as _Path

globals().update({_k: _v for _k, _v in _runpy.run_path(
    str(_Path(__file__).resolve().parents[1] / 'paper' / 'seed_table1.py')).items() if not _k.startswith('__')})
name = 'table1'
