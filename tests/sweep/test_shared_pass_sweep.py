"""tools/sweep.py evaluates a beta x gamma grid in one shared pass, with the numbers of
--no-shared-pass (every cell on its own)."""
import json

from .conftest import REPO


def _cells(wd):
    return {c["label"]: c for c in json.loads((wd / "table.json").read_text())["cells"]}


def test_sweep_shared_pass_equals_cell_by_cell(synthetic_object_root, sweep_main, tmp_path, capsys):
    base = [REPO / "configs/seed/smoke_sweep.py", "--data-root", synthetic_object_root, "--device", "cpu",
            "--limit", "2", "--no-plots"]
    assert sweep_main([*base, "--work-dir", tmp_path / "shared"]) == 0
    err = capsys.readouterr().err
    assert "shared pass 1/1: 4 cells in one pass over the data" in err
    assert sweep_main([*base, "--work-dir", tmp_path / "alone", "--no-shared-pass"]) == 0
    assert "shared pass" not in capsys.readouterr().err
    shared, alone = _cells(tmp_path / "shared"), _cells(tmp_path / "alone")
    assert shared.keys() == alone.keys() and len(shared) == 4
    for label, c in shared.items():
        assert c["status"] == "done"
        for k in ("mIoU", "aAcc", "mAcc", "images"):
            assert c[k] == alone[label][k], (label, k)
        res = json.loads((tmp_path / "shared" / c["dir"] / "results.json").read_text())
        assert len(res["shared_pass"]["cells"]) == 4
