"""Fixtures for the sweep tests: synthetic data, the tools' ``main`` functions, spec files."""
import runpy
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SMOKE_CONFIG = "configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py"


@pytest.fixture(scope="session")
def synthetic_object_root(tmp_path_factory):
    """Synthetic COCO-Object data (tools/make_synthetic_data.py --out) -> its coco_object root."""
    out = tmp_path_factory.mktemp("synthetic")
    subprocess.run([sys.executable, str(REPO / "tools/make_synthetic_data.py"), "--out", str(out)], check=True,
                   capture_output=True, text=True)
    root = out / "coco_object"
    assert (root / "images" / "val2017").is_dir()
    return root


@pytest.fixture(scope="session")
def sweep_main():
    """``tools/sweep.py``'s ``main`` run in-process through ``run_main`` -> exit code."""
    from proxyseg.cli import run_main

    main = runpy.run_path(str(REPO / "tools/sweep.py"), run_name="proxyseg_tools_sweep")["main"]
    return lambda argv: run_main(main, [str(a) for a in argv])


@pytest.fixture
def write_spec(tmp_path):
    """Write a spec file from (dedented) source text; returns its path."""

    def write(source: str, name: str = "spec.py") -> Path:
        p = tmp_path / name
        p.write_text(textwrap.dedent(source))
        return p

    return write
