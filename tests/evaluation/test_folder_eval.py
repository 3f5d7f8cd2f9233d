"""README's "Evaluate on your own data", end to end with tiny random models: a demo folder (id map
with non-contiguous ids, a 16-bit TIFF label, one broken pair) -> the check report -> the refusal
before any model is built -> the evaluation with --skip-bad, the confusion matrix and its pairs."""
import json

import numpy as np
from PIL import Image

from proxyseg.apis.confusion import confused_pairs
from proxyseg.data.folder_demo import BROKEN

from .conftest import REPO, run_tool

SMOKE_FOLDER = REPO / "configs/smoke/proxyclip_tiny_dino_folder.py"


def test_worked_example(tmp_path):
    data, wd = tmp_path / "mydata", tmp_path / "wd"
    p = run_tool("tools/make_folder_demo.py", "--out", data, "--num", "2")
    assert p.returncode == 0, p.stderr
    # 1. the check report: one line for the broken pair, exit 1
    p = run_tool("tools/check_data.py", "folder", "--data-root", data)
    assert p.returncode == 1 and p.stderr.count("problem:") == 1 and f"{BROKEN}.png: label size" in p.stderr
    # 2. the refusal: exit 2, every bad file listed, no runner/model built
    p = run_tool("tools/test.py", SMOKE_FOLDER, "--data-root", data, "--work-dir", wd, "--device", "cpu")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "1 bad file(s)" in p.stderr and f"{BROKEN}.png: label size 32x24 differs" in p.stderr
    assert not list(wd.glob("*/*.log"))
    # 3. the evaluation of the rest, class file given explicitly (README's form)
    p = run_tool("tools/test.py", SMOKE_FOLDER, "--data-root", data, "--work-dir", wd, "--device", "cpu",
                 "--skip-bad", "--cfg-options", f"model.name_path={data / 'classes.txt'}")
    assert p.returncode == 0, p.stderr
    res = json.loads((wd / "results.json").read_text())
    assert res["dataset"] == "FolderSegDataset" and res["images"] == 2
    assert list(res["per_class"]) == ["sky", "grass", "road", "car"]
    assert [s["file"] for s in res["skipped"]] == [str(data / "labels" / f"{BROKEN}.png")]
    conf = np.array(json.loads((wd / "confusion.json").read_text())["counts"])
    assert conf.shape == (4, 4)
    # the confusion matrix holds every labelled pixel of both images (255 border strip left out) ...
    labelled = sum(int((np.array(Image.open(f)) != 255).sum())
                   for f in (data / "labels/scene_0.png", data / "labels/scene_1.tif"))
    assert conf.sum() == labelled
    # ... and agrees with the metric: aAcc = trace / total
    assert abs(100 * np.trace(conf) / conf.sum() - res["aAcc"]) < 0.01
    assert res["confused_pairs"] == confused_pairs(conf, ["sky", "grass", "road", "car"])
    png = wd / "confusion.png"
    assert png.is_file() and Image.open(png).size[0] > 200
    md = (wd / "results.md").read_text()
    worst = res["worst_images"]
    assert [w["mIoU"] for w in worst] == sorted(w["mIoU"] for w in worst) and len(worst) == 2
    assert (wd / "worst_images.txt").read_text().split() == [w["image"].rsplit("/", 1)[1][:-4] for w in worst]
    assert "## Worst images" in md
    assert "## Most confused classes" in md and "![confusion](confusion.png)" in md and "## Skipped files" in md


def test_class_file_found_in_data_root_and_bad_labels_named(tmp_path):
    """No name_path: <data_root>/classes.txt. A raw value missing from the id map is refused by name."""
    data = tmp_path / "d"
    run_tool("tools/make_folder_demo.py", "--out", data, "--num", "1", "--clean")
    Image.fromarray(np.full((48, 64), 77, np.uint8)).save(data / "labels/scene_0.png")
    p = run_tool("tools/test.py", SMOKE_FOLDER, "--data-root", data, "--work-dir", tmp_path / "wd", "--device", "cpu")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "label values [77] are not in the id map" in p.stderr
    # the data root's own class file is used (not the configs' placeholder): a 5th class shows up
    Image.fromarray(np.full((48, 64), 10, np.uint8)).save(data / "labels/scene_0.png")
    (data / "classes.txt").write_text("sky\ngrass\nroad\ncar\ntree; bush\n")
    p = run_tool("tools/test.py", SMOKE_FOLDER, "--data-root", data, "--work-dir", tmp_path / "wd", "--device", "cpu")
    assert p.returncode == 0, p.stderr
    assert list(json.loads((tmp_path / "wd/results.json").read_text())["per_class"])[-1] == "tree"
    (data / "classes.txt").unlink()
    p = run_tool("tools/test.py", SMOKE_FOLDER, "--data-root", data, "--work-dir", tmp_path / "wd", "--device", "cpu")
    assert p.returncode == 2 and "Traceback" not in p.stderr and "classes.txt not found" in p.stderr


def test_confused_pairs_order():
    conf = np.array([[90, 10, 0], [30, 70, 0], [0, 0, 0]])
    pairs = confused_pairs(conf, ["a", "b", "c"])
    assert [(p["true"], p["predicted"], p["share"]) for p in pairs] == [("b", "a", 30.0), ("a", "b", 10.0)]


def test_benchmark_folder_as_folder_dataset(tmp_path):
    """README's second form: coco_object_mini (when present) read in place through the folder options."""
    import pytest

    root = REPO.parent / "shared/reference/coco_object_mini"
    if not (root / "images/val2017").is_dir():
        pytest.skip("../shared/reference/coco_object_mini not present")
    classes = REPO / "configs/_base_/class_names/coco_object.txt"
    p = run_tool("tools/check_data.py", "folder", "--data-root", root, "--img-dir", "images/val2017", "--label-dir",
                 "annotations/val2017", "--seg-suffix", "_instanceTrainIds.png", "--classes", classes)
    assert p.returncode == 0, p.stdout + p.stderr
    p = run_tool("tools/test.py", SMOKE_FOLDER, "--data-root", root, "--work-dir", tmp_path, "--device", "cpu",
                 "--limit", "1", "--cfg-options", f"model.name_path={classes}",
                 "test_dataloader.dataset.data_prefix.img_path=images/val2017",
                 "test_dataloader.dataset.data_prefix.seg_map_path=annotations/val2017",
                 "test_dataloader.dataset.seg_map_suffix=_instanceTrainIds.png")
    assert p.returncode == 0, p.stderr
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["num_classes"] == 81 and (tmp_path / "confusion.png").is_file()


def test_two_processes_sum_the_confusion_matrix(tmp_path):
    """torchrun, 2 CPU processes: the confusion matrix and the worst images cover both halves of the split."""
    import shutil
    import subprocess
    import sys

    import pytest

    torchrun = shutil.which("torchrun") or str(__import__("pathlib").Path(sys.executable).parent / "torchrun")
    if not __import__("os").path.exists(torchrun):
        pytest.skip("torchrun not found")
    data = tmp_path / "d"
    run_tool("tools/make_folder_demo.py", "--out", data, "--num", "2", "--clean")
    p = subprocess.run([torchrun, "--nproc_per_node", "2", "--master_port", "29631", str(REPO / "tools/test.py"),
                        str(SMOKE_FOLDER), "--data-root", str(data), "--work-dir", str(tmp_path / "wd"), "--device",
                        "cpu", "--launcher", "pytorch"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    res = json.loads((tmp_path / "wd/results.json").read_text())
    conf = np.array(json.loads((tmp_path / "wd/confusion.json").read_text())["counts"])
    labelled = sum(int((np.array(Image.open(f)) != 255).sum()) for f in sorted((data / "labels").iterdir()))
    assert res["world_size"] == 2 and conf.sum() == labelled and len(res["worst_images"]) == 2
    assert abs(100 * np.trace(conf) / conf.sum() - res["aAcc"]) < 0.01
