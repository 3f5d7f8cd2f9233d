"""tools/test.py end to end on the synthetic data with tiny random models (the real pipeline)."""
import json

import pytest

from proxyseg.text import load_class_names

from .conftest import REPO, SMOKE_OBJ, SMOKE_STUFF, run_cli


def _results(work_dir):
    return json.loads((work_dir / "results.json").read_text())


def test_cli_smoke_coco_object(synthetic_root, tmp_path):
    wd = tmp_path / "wd"
    r = run_cli("tools/test.py", SMOKE_OBJ, "--data-root", synthetic_root / "coco_object", "--work-dir", wd,
                "--device", "cpu")
    assert r.returncode == 0, r.stderr[-2000:]
    res = _results(wd)
    assert 0.0 <= res["mIoU"] <= 100.0 and 0.0 <= res["aAcc"] <= 100.0
    from mmseg.registry import DATASETS

    import proxyseg.mmseg  # noqa: F401

    names = list(DATASETS.get("COCOObjectDataset").METAINFO["classes"])
    assert list(res["per_class"]) == names and len(names) == 81 and names[0] == "background"
    assert len(load_class_names(REPO / "configs/_base_/class_names/coco_object.txt")) == 81
    assert res["images"] > 0 and res["dataset"] == "COCOObjectDataset" and res["vfm"] == "dino-b8"
    for key in ("versions", "git_commit", "config_hash", "seed", "device", "seconds"):
        assert key in res
    run_dirs = [d for d in wd.iterdir() if d.is_dir() and (d / "results.json").is_file()]
    assert len(run_dirs) == 1 and (run_dirs[0] / "results.md").read_text().startswith("# proxyclip_tiny")
    assert "test: 100%" in r.stderr  # progress bar
    assert "mIoU" in r.stdout + r.stderr


def test_coco_stuff_and_overrides(synthetic_root, tmp_path, test_main):
    wd = tmp_path / "stuff"
    assert test_main([SMOKE_STUFF, "--data-root", synthetic_root / "coco_stuff164k", "--work-dir", wd,
                      "--device", "cpu"]) == 0
    res = _results(wd)
    assert len(res["per_class"]) == 171 and res["dataset"] == "COCOStuffDataset"
    for opts, vfm, method in ((["model.vfm.arch=b16"], "dino-b16", "proxyclip"),
                              (["model.vfm.arch=s8", "model.feature_adjust=True"], "dino-s8", "proxyclip+feature_adjust"),
                              (["model.method=maskclip"], "-", "maskclip")):
        d = tmp_path / "_".join(opts).replace("=", "-")
        assert test_main([SMOKE_OBJ, "--data-root", synthetic_root / "coco_object", "--work-dir", d,
                          "--device", "cpu", "--cfg-options", *opts]) == 0
        res = _results(d)
        assert (res["vfm"], res["method"]) == (vfm, method)
        assert 0 <= res["mIoU"] <= 100


def test_batch_size_two_and_reproducible(synthetic_root, tmp_path, test_main):
    runs = []
    for i, bs in enumerate((1, 2, 1)):
        d = tmp_path / f"run{i}"
        assert test_main([SMOKE_OBJ, "--data-root", synthetic_root / "coco_object", "--work-dir", d,
                          "--device", "cpu", "--cfg-options", f"test_dataloader.batch_size={bs}",
                          "--window-batch", str(1 + 7 * i % 8)]) == 0
        runs.append(_results(d))
    assert runs[0]["per_class"] == runs[1]["per_class"] == runs[2]["per_class"]
    assert runs[0]["mIoU"] == runs[1]["mIoU"] == runs[2]["mIoU"]


def test_show_dir_writes_n_overlays(synthetic_root, tmp_path, test_main):
    wd = tmp_path / "vis"
    assert test_main([SMOKE_OBJ, "--data-root", synthetic_root / "coco_object", "--work-dir", wd, "--device", "cpu",
                      "--show-dir", "vis", "--show-n", "2"]) == 0
    pngs = list(wd.rglob("vis/**/*.png"))
    assert len(pngs) == 2, pngs
