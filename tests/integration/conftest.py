import runpy
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SMOKE_OBJ = REPO / "configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py"
SMOKE_STUFF = REPO / "configs/smoke/proxyclip_tiny_dino_smoke-coco-stuff.py"


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory):
    """Synthetic COCO-Stuff-164k + COCO-Object data in the real on-disk formats."""
    out = tmp_path_factory.mktemp("synthetic")
    subprocess.run([sys.executable, str(REPO / "tools/make_synthetic_data.py"), "--out", str(out)], check=True,
                   capture_output=True, text=True)
    return out


@pytest.fixture(scope="session")
def test_main():
    """``tools/test.py``'s ``main`` run in-process through ``run_main`` -> exit code."""
    from proxyseg.cli import run_main

    main = runpy.run_path(str(REPO / "tools/test.py"), run_name="proxyseg_tools_test")["main"]
    return lambda argv: run_main(main, [str(a) for a in argv])


def run_cli(*args, timeout=300):
    """Run a tool as a user would; returns CompletedProcess with text output."""
    return subprocess.run([sys.executable, *map(str, args)], cwd=REPO, capture_output=True, text=True, timeout=timeout)
