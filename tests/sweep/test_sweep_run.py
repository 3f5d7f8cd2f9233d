"""tools/sweep.py end to end on the synthetic data with tiny random models: tables, pictures,
resumption, failed cells, and a sweep killed with SIGKILL that resumes without recomputing."""
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from .conftest import REPO, SMOKE_CONFIG


def _table(wd: Path) -> dict:
    return json.loads((wd / "table.json").read_text())


def _mtimes(wd: Path) -> dict:
    return {p.parent.name: p.stat().st_mtime_ns for p in wd.glob("cells/*/results.json")}


def test_smoke_sweep_end_to_end_then_resume(synthetic_object_root, sweep_main, tmp_path, capsys):
    wd = tmp_path / "smoke"
    argv = [REPO / "configs/seed/smoke_sweep.py", "--work-dir", wd, "--data-root", synthetic_object_root,
            "--device", "cpu", "--limit", "2"]  # 2 of the 4 synthetic images: the same code path, half the time
    assert sweep_main(argv) == 0
    t = _table(wd)
    assert t["name"] == "smoke_sweep" and t["counts"]["done"] == 4 and len(t["cells"]) == 4
    for c in t["cells"]:
        assert c["status"] == "done" and c["runs"] == 1 and c["images"] == 2
        assert 0 <= c["mIoU"] <= 100 and 0 <= c["aAcc"] <= 100
        assert c["dataset"] == "COCOObjectDataset" and c["method"] == "proxyclip"
    res = json.loads((wd / t["cells"][0]["dir"] / "results.json").read_text())
    assert res["params"]["beta"] == 1.0 and res["params"]["gamma"] == 2.0  # the overrides reached the model
    rows = list(csv.DictReader((wd / "table.csv").open()))
    assert [r["label"] for r in rows] == [c["label"] for c in t["cells"]]
    assert all(0 <= float(r["mIoU"]) <= 100 for r in rows)
    md = (wd / "table.md").read_text()
    assert all(c["label"] in md for c in t["cells"]) and "4 done" in md
    for png in ("table.png", "heatmap.png"):
        with Image.open(wd / png) as im:
            im.verify()
    before = _mtimes(wd)
    assert len(before) == 4
    capsys.readouterr()

    assert sweep_main(argv) == 0  # resume: everything is finished
    err = capsys.readouterr().err
    assert "4 finished (skipped), 0 to run" in err
    assert _mtimes(wd) == before and all(c["runs"] == 1 for c in _table(wd)["cells"])


def test_failed_cell_is_recorded_and_expected_diff(synthetic_object_root, sweep_main, write_spec, tmp_path):
    spec = write_spec(f"""
        name = 'failing'
        cells = [
            dict(config='{SMOKE_CONFIG}', label='bad arch', overrides={{'model.vfm.arch': 'nope'}}),
            dict(config='{SMOKE_CONFIG}', label='good', expected=dict(mIoU=50.0, source='fake paper')),
        ]
    """)
    wd = tmp_path / "failing"
    argv = [spec, "--work-dir", wd, "--data-root", synthetic_object_root, "--device", "cpu", "--limit", "2"]
    assert sweep_main(argv) == 1  # stops at the failure
    t = _table(wd)
    bad, good = t["cells"]
    assert bad["status"] == "failed" and "unknown arch" in bad["error"] and "nope" in bad["error"]
    assert good["status"] == "pending" and good["runs"] == 0

    assert sweep_main([*argv, "--continue-on-error"]) == 1  # still a failed cell -> exit 1
    t = _table(wd)
    bad, good = t["cells"]
    assert bad["status"] == "failed" and bad["runs"] == 2 and "unknown arch" in bad["error"]
    assert good["status"] == "done" and good["expected"] == 50.0 and good["expected_source"] == "fake paper"
    assert good["diff"] == round(good["mIoU"] - 50.0, 2)
    md = (wd / "table.md").read_text()
    assert "Failed cells:" in md and "unknown arch" in md and f"{good['diff']:+.2f}" in md
    assert "unknown arch" in (wd / bad["dir"] / "sweep.log").read_text()


def test_killed_sweep_resumes_without_recomputing(synthetic_object_root, sweep_main, write_spec, tmp_path):
    spec = write_spec(f"""
        name = 'killed'
        configs = ['{SMOKE_CONFIG}']
        grid = {{'model.beta': [1.0, 1.1, 1.2]}}
    """)
    wd = tmp_path / "killed"
    argv = [spec, "--work-dir", wd, "--data-root", synthetic_object_root, "--device", "cpu", "--limit", "2"]
    proc = subprocess.Popen([sys.executable, str(REPO / "tools/sweep.py"), *map(str, argv)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        while not list(wd.glob("cells/*/results.json")):
            assert proc.poll() is None, "the sweep ended before its first cell finished"
            assert time.time() < deadline, "no cell finished within 90 s"
            time.sleep(0.02)
        assert proc.poll() is None, "the sweep finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    finished = _mtimes(wd)
    assert 1 <= len(finished) < 3
    for name in ("table.json", "table.csv", "table.md"):  # whatever moment the kill hit: never a partial file
        if (wd / name).exists():
            assert (wd / name).read_text().strip()
    if (wd / "table.json").exists():
        _table(wd)

    assert sweep_main(argv) == 0
    t = _table(wd)
    assert t["counts"]["done"] == 3
    after = _mtimes(wd)
    for cid, mtime in finished.items():  # finished cells were not recomputed
        assert after[cid] == mtime
    runs = {Path(c["dir"]).name: c["runs"] for c in t["cells"]}
    assert all(runs[cid] == 1 for cid in finished)
    assert not list(wd.rglob(".table.*")) and not list(wd.rglob(".cell.json.*"))  # no temp files left


def test_show_n_saves_overlays_and_figure(synthetic_object_root, sweep_main, write_spec, tmp_path):
    spec = write_spec(f"""
        name = 'figure'
        cells = [dict(config='{SMOKE_CONFIG}', label='feature adjust off'),
                 dict(config='{SMOKE_CONFIG}', label='feature adjust on', overrides={{'model.feature_adjust': True}})]
    """)
    wd = tmp_path / "figure"
    assert sweep_main([spec, "--work-dir", wd, "--data-root", synthetic_object_root, "--device", "cpu",
                       "--show-n", "2", "--limit", "2"]) == 0
    t = _table(wd)
    assert [len(c["overlays"]) for c in t["cells"]] == [2, 2]
    with Image.open(wd / "figure.png") as im:
        assert im.size[0] > 200
