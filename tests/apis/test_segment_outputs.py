"""tools/segment.py writes only its own outputs under --out (issue 17.5), with the umask's mode."""
import json
import os
import runpy
import stat

import numpy as np
import pytest
from PIL import Image

from proxyseg.cli import run_main

from .conftest import REPO

TOOL = REPO / "tools" / "segment.py"


@pytest.fixture(scope="module")
def main():
    return runpy.run_path(str(TOOL), run_name="proxyseg_tools_segment")["main"]


def _image(path):
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (24, 32, 3), dtype=np.uint8)).save(path)
    return path


def test_output_that_is_an_input_is_refused(main, capsys, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = _image(out / "a_mask.png")  # an input named like the mask of a.png
    src = _image(tmp_path / "a.png")
    before = victim.read_bytes()
    code = run_main(main, [str(src), str(victim), "--config", "tiny", "--classes", "cat", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"error: output {out / 'a_mask.png'} would overwrite the input image {victim}" in err
    assert victim.read_bytes() == before
    # even with --overwrite
    assert run_main(main, [str(src), str(victim), "--config", "tiny", "--classes", "cat", "--out", str(out),
                           "--overwrite"]) == 2
    assert "would overwrite the input image" in capsys.readouterr().err
    assert victim.read_bytes() == before


def test_input_reached_through_a_symlink_is_refused(main, capsys, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    real = _image(tmp_path / "b_overlay.png")
    (out / "b_overlay.png").symlink_to(real)
    src = _image(tmp_path / "b.png")
    code = run_main(main, [str(src), str(real), "--config", "tiny", "--classes", "cat", "--out", str(out),
                           "--overwrite"])
    assert code == 2 and "would overwrite the input image" in capsys.readouterr().err


def test_existing_outputs_need_overwrite(main, capsys, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    src = _image(tmp_path / "c.png")
    (out / "c.json").write_text("old")
    args = [str(src), "--config", "tiny", "--classes", "cat, dog", "--out", str(out), "--device", "cpu"]
    assert run_main(main, args) == 2
    err = capsys.readouterr().err
    assert f"error: output {out / 'c.json'} already exists; pass --overwrite" in err
    assert (out / "c.json").read_text() == "old" and sorted(p.name for p in out.iterdir()) == ["c.json"]
    old = os.umask(0o022)
    try:
        assert run_main(main, args + ["--overwrite"]) == 0
    finally:
        os.umask(old)
    capsys.readouterr()
    assert json.loads((out / "c.json").read_text())["mask"] == "c_mask.png"
    names = sorted(p.name for p in out.iterdir())
    assert names == ["c.json", "c_mask.png", "c_overlay.png"]  # nothing else (no temp files)
    for n in names:  # results respect the umask (issue 16.6 / 17.7): 0644, not mkstemp's 0600
        assert stat.S_IMODE((out / n).stat().st_mode) == 0o644
    assert run_main(main, args) == 2  # a second run without --overwrite is refused again
    assert "already exists (and 2 more)" in capsys.readouterr().err
