"""Your own data as a folder: pairing by stem, 8/16-bit labels, id map, reduce_zero_label, and the
checks (one line per problem) that tools/check_data.py folder prints."""
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from proxyseg.data.folder import check_folder, load_id_map, map_labels
from proxyseg.data.folder_demo import BROKEN, make_folder_demo
from proxyseg.errors import DatasetError

from .conftest import REPO


def test_map_labels_id_map_reduce_zero_and_16bit():
    raw = np.array([[10, 20], [40, 255], [7, 30]], np.uint16)
    m = map_labels(raw, id_map={10: 0, 20: 1, 30: 2, 40: 3, 255: 255})
    assert m.tolist() == [[0, 1], [3, 255], [-1, 2]]  # 7 is not in the map: -1 (the metric names it)
    assert map_labels(np.array([0, 1, 5, 255]), reduce_zero_label=True).tolist() == [255, 0, 4, 255]
    assert map_labels(np.array([1000, 65535], np.uint16), id_map={1000: 2}, ignore_index=65535).tolist() == [2, 65535]


def test_load_id_map_file_default_and_errors(tmp_path):
    (tmp_path / "id_map.json").write_text(json.dumps({"7": 0, "26": 1, "255": "ignore"}))
    assert load_id_map(None, 2, data_root=tmp_path) == {7: 0, 26: 1, 255: 255}
    assert load_id_map(None, 2, data_root=tmp_path / "nothing") is None
    with pytest.raises(DatasetError, match="not a class index 0..1"):
        load_id_map({"7": 5}, 2)
    with pytest.raises(DatasetError, match="not an integer"):
        load_id_map({"sky": 0}, 2)
    (tmp_path / "bad.json").write_text("{7: 0")
    with pytest.raises(DatasetError, match="not valid JSON"):
        load_id_map(tmp_path / "bad.json", 2)


def test_demo_folder_check_report(tmp_path):
    make_folder_demo(tmp_path, num=3)
    assert (tmp_path / "labels/scene_1.tif").is_file()
    assert np.array(Image.open(tmp_path / "labels/scene_1.tif")).dtype == np.uint16
    rep = check_folder(tmp_path)
    assert rep.problems == [f"{tmp_path}/labels/{BROKEN}.png: label size 32x24 differs from the image's 64x48"]
    assert any("3 of 4 image/label pairs ok" in n for n in rep.notes)
    make_folder_demo(tmp_path / "clean", num=2, broken=False)
    assert check_folder(tmp_path / "clean").ok


def test_every_kind_of_problem_one_line_each(tmp_path):
    make_folder_demo(tmp_path, num=3, broken=False)
    (tmp_path / "images/scene_0.png").write_bytes(b"not an image")            # unreadable image
    (tmp_path / "labels/scene_2.png").unlink()                                 # image without label
    Image.fromarray(np.full((5, 5), 10, np.uint8)).save(tmp_path / "labels/orphan.png")  # label without image
    Image.fromarray(np.full((48, 64), 99, np.uint8)).save(tmp_path / "images/x.png")
    Image.fromarray(np.full((48, 64), 99, np.uint8)).save(tmp_path / "labels/x.png")  # 99 not in the id map
    rep = check_folder(tmp_path)
    text = "\n".join(rep.problems)
    assert len(rep.problems) == 4, text
    assert "scene_0.png: image cannot be decoded" in text
    assert "scene_2.png: no label: expected" in text
    assert "orphan.png: label without an image" in text
    assert "x.png: label values [99] are not in the id map" in text
    # without the id map the raw ids are outside the 4 classes
    (tmp_path / "id_map.json").unlink()
    rep = check_folder(tmp_path)
    assert any("label values [10, 20, 30, 40] outside the 4 classes" in p for p in rep.problems), rep.problems


def test_empty_folders_and_missing_class_file(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    rep = check_folder(tmp_path)
    text = "\n".join(rep.problems)
    assert "image folder" in text and "is empty" in text and "label folder" in text
    assert "classes.txt not found" in text
    assert not check_folder(tmp_path / "nope").ok


def test_check_data_cli_exit_codes(tmp_path):
    make_folder_demo(tmp_path / "d", num=2)
    run = lambda *a: subprocess.run([sys.executable, str(REPO / "tools/check_data.py"), "folder", *map(str, a)],
                                    capture_output=True, text=True, timeout=60)
    p = run("--data-root", tmp_path / "d")
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert p.stderr.count("problem: ") == 1 and "label size 32x24" in p.stderr
    assert "1 problem(s)" in p.stdout
    (tmp_path / "d/labels" / f"{BROKEN}.png").unlink()
    (tmp_path / "d/images" / f"{BROKEN}.jpg").unlink()
    p = run("--data-root", tmp_path / "d")
    assert p.returncode == 0 and p.stdout.rstrip().endswith("OK"), p.stdout + p.stderr


def test_mmseg_dataset_reads_16bit_and_id_map(tmp_path):
    import proxyseg.mmseg  # noqa: F401
    from mmseg.registry import DATASETS
    from mmengine.registry import init_default_scope

    init_default_scope("mmseg")
    make_folder_demo(tmp_path, num=2, broken=False)
    ds = DATASETS.build(dict(type="FolderSegDataset", data_root=str(tmp_path),
                             pipeline=[dict(type="LoadFolderLabels")]))
    assert ds.metainfo["classes"] == ("sky", "grass", "road", "car")  # first synonym of each line
    assert len(ds) == 2
    for i in range(2):
        gt = ds[i]["gt_seg_map"]
        assert set(np.unique(gt).tolist()) <= {0, 1, 2, 3, 255} and {0, 1, 3} <= set(np.unique(gt).tolist())
    assert ds[1]["seg_map_path"].endswith("scene_1.tif")
