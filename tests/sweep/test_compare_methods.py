"""configs/methods/compare_methods*.py: every method x benchmark x protocol in one table."""
import json

import pytest
from mmengine.config import Config

from proxyseg.methods import method_names
from proxyseg.protocols import BENCHMARKS, METHODS, PROTOCOLS
from proxyseg.sweep import load_spec

from .conftest import REPO


def test_compare_methods_spec_covers_the_matrix_with_published_numbers():
    spec = load_spec(REPO / "configs/methods/compare_methods.py")
    assert len(spec.cells) == len(METHODS) * len(BENCHMARKS) * len(PROTOCOLS)
    assert not spec.missing_configs()
    for cell in spec.cells[:: 7]:  # a sample: each cell's expected is its config's
        cfg = Config.fromfile(str(cell.config_path))
        exp = cfg.get("expected")
        assert cell.expected_value("mIoU") == (exp["mIoU"] if exp else None)
        assert cfg.protocol in cell.label
    labels = {c.label for c in spec.cells}
    assert "SCLIP paper (VOC21)" in labels and "Trident shared (ADE)" in labels


@pytest.mark.slow
def test_compare_methods_smoke_runs_every_registered_method_under_both_protocols(
        synthetic_object_root, sweep_main, tmp_path):
    registered = [m for m in METHODS if m in method_names()]  # NACLIP may live on another branch
    wd = tmp_path / "cmp"
    only = [a for m in registered for a in ("--only", f"configs/methods/smoke/{m}_tiny_")]
    argv = [REPO / "configs/methods/compare_methods_smoke.py", "--work-dir", wd, "--data-root",
            synthetic_object_root, "--device", "cpu", "--limit", "1", "--no-plots", *only]
    assert sweep_main(argv) == 0
    table = json.loads((wd / "table.json").read_text())
    done = [c for c in table["cells"] if c["status"] == "done"]
    assert len(done) == 2 * len(registered)
    seen = set()
    for c in done:
        res = json.loads((wd / c["dir"] / "results.json").read_text())
        assert res["protocol"] in PROTOCOLS and res["images"] == 1 and 0 <= res["mIoU"] <= 100
        seen.add((res["method"], res["protocol"]))
    assert seen == {(m, p) for m in registered for p in PROTOCOLS}
    md = (wd / "table.md").read_text()
    assert "SCLIP paper (Obj)" in md and "Trident shared (Obj)" in md
