"""Fixtures for the MaskCLIP+ tests: synthetic data, the tools run in-process, pseudo-labels."""
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs" / "maskclip_plus"
SMOKE_TEACHER = CONFIGS / "smoke_teacher_maskclip_tiny.py"
SMOKE_STUDENT = CONFIGS / "smoke_maskclip-plus_tiny.py"
#: the smoke configs' label folder, relative to the data root
PSEUDO_DIR = Path("pseudo_labels/smoke_maskclip_tiny/train2017")


def make_synthetic(out: Path) -> Path:
    """``tools/make_synthetic_data.py --out out``; returns the COCO-Stuff root."""
    subprocess.run([sys.executable, str(REPO / "tools/make_synthetic_data.py"), "--out", str(out), "--num", "4"],
                   check=True, capture_output=True, text=True)
    return out / "coco_stuff164k"


def tool(name: str):
    """``main(argv)`` of ``tools/<name>.py`` (in-process; raises instead of printing errors)."""
    return runpy.run_path(str(REPO / "tools" / f"{name}.py"), run_name=f"proxyseg_tools_{name}")


@pytest.fixture(scope="module")
def stuff_root(tmp_path_factory):
    """Synthetic COCO-Stuff-164k (4 train + 4 val images), once per test module."""
    return make_synthetic(tmp_path_factory.mktemp("synthetic"))


@pytest.fixture(scope="module", autouse=True)
def no_onednn():
    """oneDNN compiles kernels for every new tensor shape (seconds each on a busy CPU); the tiny
    test models run faster with PyTorch's native CPU kernels."""
    import torch

    previous = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    yield
    torch.backends.mkldnn.enabled = previous
