"""NACLIP and the PAMR post-processing flag through tools/test.py on the synthetic data."""
import json
import math

from .conftest import SMOKE_OBJ


def _run(test_main, synthetic_root, wd, *opts):
    argv = [SMOKE_OBJ, "--data-root", synthetic_root / "coco_object", "--work-dir", wd, "--device", "cpu",
            "--limit", "1", "--cfg-options", *opts]
    assert test_main(argv) == 0
    res = json.loads((wd / "results.json").read_text())
    assert res["images"] == 1 and math.isfinite(res["mIoU"]) and 0 <= res["mIoU"] <= 100
    return res


def test_naclip_with_pamr(synthetic_root, tmp_path, test_main):
    res = _run(test_main, synthetic_root, tmp_path / "wd", "model.method=naclip", "model.postprocess.type=pamr",
               "model.postprocess.iters=2")
    assert res["method"].startswith("naclip")


def test_postprocess_key_reaches_the_model(synthetic_root, tmp_path, test_main, capsys):
    argv = [SMOKE_OBJ, "--data-root", synthetic_root / "coco_object", "--work-dir", tmp_path / "wd", "--device",
            "cpu", "--limit", "1", "--cfg-options", "model.method=naclip", "model.postprocess.type=pamrr"]
    assert test_main(argv) != 0
    assert "unknown postprocess 'pamrr' (did you mean 'pamr'?)" in capsys.readouterr().err
