"""A smoke evaluation prints a progress bar and a short summary (<= 25 lines); mmengine's log
goes to the run's log file; --verbose puts it back on the console."""
import json
from pathlib import Path

from proxyseg.results import PER_CLASS_NOTE

from .conftest import SMOKE_OBJ, run_tool


def _lines(p):
    return [ln for ln in (p.stdout + p.stderr).replace("\r", "\n").split("\n") if ln.strip()]


def test_smoke_run_is_quiet_and_logs_to_file(synthetic_root, tmp_path):
    wd = tmp_path / "wd"
    p = run_tool("tools/test.py", SMOKE_OBJ, "--data-root", synthetic_root / "coco_object", "--work-dir", wd,
                 "--device", "cpu")
    assert p.returncode == 0, p.stderr
    lines = _lines(p)
    assert len(lines) <= 25, "\n".join(lines)
    assert any("mIoU" in ln for ln in lines) and any(str(wd) in ln and "results.json" in ln for ln in lines)
    assert "System environment" not in p.stdout + p.stderr  # mmengine's environment dump
    res = json.loads((wd / "results.json").read_text())
    log = Path(res["log_file"]).read_text()
    assert "System environment" in log and "mIoU" in log  # ... is in the run's log file
    md = (wd / "results.md").read_text()
    undefined = [k for k, v in res["per_class"].items() if v["IoU"] is None]
    assert undefined and PER_CLASS_NOTE in md and f"| {undefined[0]} | - |" in md


def test_verbose_restores_mmengine_logs(synthetic_root, tmp_path):
    p = run_tool("tools/test.py", SMOKE_OBJ, "--data-root", synthetic_root / "coco_object", "--work-dir",
                 tmp_path / "wd", "--device", "cpu", "--verbose", "--limit", "1")
    assert p.returncode == 0, p.stderr
    assert "System environment" in p.stdout + p.stderr and len(_lines(p)) > 25
