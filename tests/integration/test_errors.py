"""Bad inputs to tools/test.py: one clear line, exit code 2, no traceback (docs/errors.md)."""
import shutil

import numpy as np
import pytest
from PIL import Image

from .conftest import REPO, SMOKE_OBJ, run_cli


def _err(capsys):
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_missing_data_root_subprocess(tmp_path):
    r = run_cli("tools/test.py", SMOKE_OBJ, "--data-root", tmp_path / "nope", "--work-dir", tmp_path / "wd")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "error:" in r.stderr and "nope" in r.stderr and "data/README.md" in r.stderr


def test_missing_weights_names_file_and_dirs(synthetic_root, tmp_path, monkeypatch, test_main, capsys):
    monkeypatch.setenv("PROXYSEG_WEIGHTS", str(tmp_path / "weights"))
    rc = test_main([SMOKE_OBJ, "--data-root", synthetic_root / "coco_object", "--work-dir", tmp_path / "wd",
                    "--cfg-options", "model.pretrained=True"])
    err = _err(capsys)
    assert rc == 2
    assert "vit_base_patch8_224.dino" in err and str(tmp_path / "weights") in err
    assert "--checkpoint" in err and "PROXYSEG_WEIGHTS" in err


@pytest.mark.parametrize("opts,msg", [
    (["model.vfm.type=dinoo"], "unknown VFM 'dinoo'"),
    (["model.vfm.arch=b9"], "unknown arch for VFM 'dino'"),
    (["model.method=mask"], "unknown method 'mask'"),
    (["model.prob_thd=1.5"], "prob_thd=1.5 is outside"),
    (["model.beta=-1"], "beta=-1"),
    (["model.slide_stride=100"], "slide_stride=100 > slide_crop=64"),
    (["model.name_path=configs/_base_/class_names/coco_stuff.txt"], "has 171 classes but dataset COCOObjectDataset has 81"),
    (["model.name_path=nope.txt"], "class file nope.txt not found"),
])
def test_bad_config_values(synthetic_root, tmp_path, test_main, capsys, opts, msg):
    rc = test_main([SMOKE_OBJ, "--data-root", synthetic_root / "coco_object", "--work-dir", tmp_path / "wd",
                    "--cfg-options", *opts])
    err = _err(capsys)
    assert rc == 2, err
    assert msg in err


def test_usage_errors(tmp_path, test_main, capsys):
    assert test_main([tmp_path / "missing.py"]) == 2
    assert "config" in _err(capsys)
    import torch

    if not torch.cuda.is_available():
        assert test_main([SMOKE_OBJ, "--device", "cuda"]) == 2
        assert "no CUDA GPU" in _err(capsys)


def test_unwritable_work_dir(synthetic_root, tmp_path, test_main, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    rc = test_main([SMOKE_OBJ, "--data-root", synthetic_root / "coco_object", "--work-dir", blocker / "sub"])
    assert rc == 2 and "not writable" in _err(capsys)


def test_label_values_out_of_range(synthetic_root, tmp_path, test_main, capsys):
    root = tmp_path / "coco_object"
    shutil.copytree(synthetic_root / "coco_object", root)
    label = sorted((root / "annotations/val2017").glob("*_instanceTrainIds.png"))[0]
    arr = np.array(Image.open(label))
    arr[:2, :2] = 120
    Image.fromarray(arr).save(label)
    rc = test_main([SMOKE_OBJ, "--data-root", root, "--work-dir", tmp_path / "wd"])
    err = _err(capsys)
    assert rc == 2 and label.name in err and "[120]" in err and "--ignore-bad-labels" in err
    assert test_main([SMOKE_OBJ, "--data-root", root, "--work-dir", tmp_path / "wd2", "--ignore-bad-labels"]) == 0


def test_checkpoint_file_without_a_vfm(synthetic_root, tmp_path, test_main, capsys):
    f = tmp_path / "weights.pth"
    f.write_bytes(b"x")
    rc = test_main([SMOKE_OBJ, "--data-root", synthetic_root / "coco_object", "--work-dir", tmp_path / "wd",
                    "--checkpoint", f, "--cfg-options", "model.method=clip"])
    assert rc == 2 and "uses no VFM" in _err(capsys)
