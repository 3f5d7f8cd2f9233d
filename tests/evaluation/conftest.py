"""Fixtures for the evaluation-pipeline tests: synthetic data, the smoke config, a subprocess runner."""
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SMOKE_OBJ = REPO / "configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py"


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory):
    """Synthetic COCO-Stuff-164k + COCO-Object data in the real on-disk formats."""
    out = tmp_path_factory.mktemp("synthetic")
    subprocess.run([sys.executable, str(REPO / "tools/make_synthetic_data.py"), "--out", str(out)], check=True,
                   capture_output=True, text=True)
    return out


def run_py(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -c code`` in the repo root."""
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def run_tool(*args, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *map(str, args)], cwd=REPO, capture_output=True, text=True, timeout=timeout)
