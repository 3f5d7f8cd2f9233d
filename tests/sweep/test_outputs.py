"""Tables and pictures from fabricated cell results (no model runs)."""
import csv
import json

import numpy as np
from PIL import Image

from proxyseg.results import atomic_write_json
from proxyseg.sweep import SweepOptions, SweepRunner, load_spec

SPEC = """
name = 'fake'
configs = [dict(config='configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py', label='obj',
                expected=dict(mIoU=20.0, source='a made-up paper'))]
grid = {'model.beta': [1.0, 1.2], 'model.gamma': [2.0, 3.0]}
"""


def _runner(write_spec, tmp_path, **kw):
    spec = load_spec(write_spec(SPEC))
    return SweepRunner(spec, SweepOptions(work_dir=tmp_path / "sweep", **kw))


def _fake_done(runner, cell, miou, overlays=0):
    d = runner.cell_dir(cell)
    atomic_write_json(d / "results.json", dict(mIoU=miou, aAcc=50.0, mAcc=30.0, dataset="COCOObjectDataset",
                                               method="proxyclip", vfm="dino-b8", seconds=1.0, images=4))
    atomic_write_json(d / "cell.json", dict(status="done", runs=1, seconds=2.5))
    for i in range(overlays):
        vis = d / "vis" / "vis_data" / "vis_image"
        vis.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((20, 40, 3), 40 * i, np.uint8)).save(vis / f"test_{i:012d}.jpg_0.png")


def test_tables_and_pictures(write_spec, tmp_path):
    r = _runner(write_spec, tmp_path)
    c0, c1, c2, _ = r.spec.cells
    _fake_done(r, c0, 21.5, overlays=2)
    _fake_done(r, c1, 18.25, overlays=2)
    atomic_write_json(r.cell_dir(c2) / "cell.json", dict(status="failed", runs=1, error="unknown arch 'x'"))
    r.write_outputs()
    wd = r.work_dir
    t = json.loads((wd / "table.json").read_text())
    assert t["counts"] == {"done": 2, "failed": 1, "interrupted": 0, "pending": 1}
    cells = t["cells"]
    assert [c["status"] for c in cells] == ["done", "done", "failed", "pending"]
    assert cells[0]["mIoU"] == 21.5 and cells[0]["expected"] == 20.0 and cells[0]["diff"] == 1.5
    assert cells[1]["diff"] == -1.75 and cells[0]["expected_source"] == "a made-up paper"
    assert cells[2]["error"] == "unknown arch 'x'" and cells[2]["diff"] is None
    assert cells[3]["method"] == "proxyclip" and cells[3]["dataset"] == "COCOObjectDataset"  # from the config
    rows = list(csv.DictReader((wd / "table.csv").open()))
    assert len(rows) == 4 and float(rows[0]["mIoU"]) == 21.5 and float(rows[1]["diff"]) == -1.75
    md = (wd / "table.md").read_text()
    assert "| 21.50 | 50.00 | 20.00 | +1.50 | done |" in md and "-1.75" in md
    assert "unknown arch 'x'" in md and "a made-up paper" in md and "![heatmap](heatmap.png)" in md
    for png in ("table.png", "heatmap.png", "figure.png"):
        with Image.open(wd / png) as im:
            assert im.size[0] > 100 and im.size[1] > 100
    assert not [p for p in wd.iterdir() if p.name.startswith(".")]  # no temp files left behind


def test_no_heatmap_for_one_dimensional_grids(write_spec, tmp_path):
    spec = load_spec(write_spec("configs = ['configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py']\n"
                                "grid = {'model.beta': [1.0, 1.2], 'model.gamma': [3.0]}"))
    assert spec.heatmap is None
    r = SweepRunner(spec, SweepOptions(work_dir=tmp_path / "s"))
    r.write_outputs()
    assert (r.work_dir / "table.png").is_file() and not (r.work_dir / "heatmap.png").exists()
    assert not (r.work_dir / "figure.png").exists()


def test_dry_run_lists_cells_and_writes_nothing(write_spec, tmp_path, capsys):
    r = _runner(write_spec, tmp_path, dry_run=True)
    _fake_done(r, r.spec.cells[0], 10.0)
    assert r.run() == 0
    out = capsys.readouterr().out
    assert out.count("tools/test.py") == 4 and "skip" in out and "--cfg-options model.beta=1.2 model.gamma=3.0" in out
    assert not (r.work_dir / "table.md").exists()


def test_one_sweep_per_work_dir(write_spec, tmp_path):
    import fcntl

    import pytest

    from proxyseg.errors import UsageError

    r = _runner(write_spec, tmp_path)
    r.work_dir.mkdir(parents=True)
    with open(r.work_dir / ".sweep.lock", "a+") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        f.write("pid 4242\n")
        f.flush()
        with pytest.raises(UsageError, match="another sweep .*pid 4242"):
            r.run()
    assert not list(r.work_dir.glob("cells/*/cell.json"))  # nothing ran


def test_cfg_options_are_merged_into_one_list(write_spec, tmp_path):
    spec = load_spec(write_spec("""
        extra_args = ['--cfg-options', 'model.window_batch=2', '--limit', '3']
        cells = [dict(config='configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py', overrides={'model.beta': 1.4},
                      extra_args=['--cfg-options', 'model.gamma=4.0'])]
    """), salt=["--cfg-options", "model.prob_thd=0.5"])
    r = SweepRunner(spec, SweepOptions(work_dir=tmp_path / "s", test_args=["--cfg-options", "model.prob_thd=0.5"]))
    argv = r.test_argv(spec.cells[0])
    assert argv.count("--cfg-options") == 1 and argv[-4:] == [
        "model.prob_thd=0.5", "model.window_batch=2", "model.gamma=4.0", "model.beta=1.4"]
    assert argv[argv.index("--limit") + 1] == "3"
