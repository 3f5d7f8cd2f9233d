"""A damaged file never costs the run: the split preflight lists every bad file before a model is
built; --skip-bad evaluates the rest and records what was skipped."""
import json
import shutil

import numpy as np
from PIL import Image

from .conftest import SMOKE_OBJ, run_tool


def _damage(root):
    imgs = sorted((root / "images/val2017").glob("*.jpg"))
    imgs[1].write_bytes(b"")  # zero-byte JPEG
    lab = sorted((root / "annotations/val2017").glob("*_instanceTrainIds.png"))[2]
    Image.fromarray(np.zeros((10, 12), np.uint8)).save(lab)  # label size differs from its image
    return imgs[1], lab


def test_preflight_lists_every_bad_file_then_skip_bad(synthetic_root, tmp_path):
    root = tmp_path / "coco_object"
    shutil.copytree(synthetic_root / "coco_object", root)
    img, lab = _damage(root)
    p = run_tool("tools/test.py", SMOKE_OBJ, "--data-root", root, "--work-dir", tmp_path / "wd", "--device", "cpu")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "2 bad file(s)" in p.stderr and "--skip-bad" in p.stderr
    assert f"{img}: empty image file (0 bytes)" in p.stderr
    assert f"{lab}: label size 12x10 differs" in p.stderr
    assert not list((tmp_path / "wd").glob("*/*.log"))  # stopped before the runner (and any model) was built
    p = run_tool("tools/test.py", SMOKE_OBJ, "--data-root", root, "--work-dir", tmp_path / "wd", "--device", "cpu",
                 "--skip-bad")
    assert p.returncode == 0, p.stderr
    res = json.loads((tmp_path / "wd/results.json").read_text())
    assert res["images"] == 2 and {s["file"] for s in res["skipped"]} == {str(img), str(lab)}
    assert "## Skipped files (2, --skip-bad)" in (tmp_path / "wd/results.md").read_text()
