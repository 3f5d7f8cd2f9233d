"""tools/segment.py as a user runs it: real photos, a synthetic image, bad inputs."""
import json
import runpy
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from proxyseg.cli import run_main

from .conftest import REFERENCE_IMAGES, REPO

TOOL = REPO / "tools" / "segment.py"


def run_tool(*args, cwd=REPO):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**__import__("os").environ, "PROXYSEG_OFFLINE": "1"})


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    d = tmp_path_factory.mktemp("imgs")
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (40, 72, 3), dtype=np.uint8)).save(d / "synthetic scene.png")
    Image.fromarray(rng.integers(0, 256, (30, 30, 4), dtype=np.uint8), "RGBA").save(d / "alpha.png")
    (d / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return d


REFS = [REFERENCE_IMAGES / "horses.jpg", REFERENCE_IMAGES / "000000000081.jpg"]


@pytest.fixture(scope="module")
def run(tmp_path_factory, synthetic):
    """One run (a subprocess costs seconds): real photos if present, a synthetic image, bad inputs."""
    out = tmp_path_factory.mktemp("segment") / "out"
    refs = [p for p in REFS if p.is_file()]
    r = run_tool(*refs, synthetic / "synthetic scene.png", synthetic / "broken.jpg", synthetic / "missing.png",
                 synthetic / "alpha.png", "--config", "tiny", "--classes", "horse, grass; lawn, sky",
                 "--background", "background", "--prob-thd", "0.4", "--out", out, "--max-side", "96", "--device", "cpu")
    return r, out, len(refs)


def check_outputs(out, stem, size=None):
    mask = Image.open(out / f"{stem}_mask.png")
    overlay = Image.open(out / f"{stem}_overlay.png")
    info = json.loads((out / f"{stem}.json").read_text())
    assert mask.mode == "P" and overlay.mode == "RGB" and mask.size == overlay.size
    assert (info["width"], info["height"]) == mask.size and (size is None or mask.size == size)
    assert info["classes"] == ["background", "horse", "grass", "sky"] and info["config"] == "tiny"
    assert info["background"] == "background" and info["prob_thd"] == 0.4
    assert abs(sum(info["shares"].values()) - 1) < 1e-4
    assert int(np.array(mask).max()) < 4


def test_bad_images_reported_others_written(run, synthetic):
    r, out, n_refs = run
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert f"error: {synthetic / 'broken.jpg'}: the image is corrupt or truncated" in r.stderr
    assert f"error: {synthetic / 'missing.png'}: no such image file" in r.stderr
    assert f"{n_refs + 2} of {n_refs + 4} image(s) segmented" in r.stderr and "error: 2 image(s) failed" in r.stderr
    check_outputs(out, "synthetic_scene", (72, 40))
    check_outputs(out, "alpha", (30, 30))
    assert not any("broken" in p.name or "missing" in p.name for p in out.iterdir())


def test_real_photos(run):
    r, out, n_refs = run
    if n_refs < len(REFS):
        pytest.skip(f"reference photos not found in {REFERENCE_IMAGES} (only present in the project workspace)")
    for ref in REFS:
        check_outputs(out, ref.stem, Image.open(ref).size)  # masks at the photo's full size


@pytest.fixture(scope="module")
def main():
    return runpy.run_path(str(TOOL), run_name="proxyseg_tools_segment")["main"]


@pytest.mark.parametrize("args, message", [
    (["--classes", "cat, cat"], "error: class list: duplicate class names across classes: cat"),
    (["--classes", "cat", "--prob-thd", "0.5"], "error: --prob-thd needs a class for uncertain pixels"),
    (["--classes", "cat", "--prob-thd", "2"], "error: --prob-thd=2.0 is outside [0.0, 1.0]"),
    (["--classes-file", "nope.txt"], "error: class file nope.txt not found"),
    (["--classes", "cat", "--config", "no-such-config"], "error: config 'no-such-config' not found"),
    (["--classes", "cat", "--device", "cuda:7"], "error: --device cuda:7"),
])
def test_usage_errors(main, capsys, tmp_path, args, message):
    if "cuda" in str(args) and __import__("torch").cuda.is_available():
        pytest.skip("a GPU is present")
    code = run_main(main, ["x.png", "--config", "tiny", "--out", str(tmp_path), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_argparse_and_unwritable_out(main, capsys, tmp_path):
    with pytest.raises(SystemExit) as e:
        run_main(main, ["x.png", "--classes", "a", "--classes-file", "b.txt"])
    assert e.value.code == 2 and "not allowed with argument" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = run_main(main, ["x.png", "--config", "tiny", "--classes", "a", "--out", str(blocker / "sub")])
    assert code == 2 and "is not writable" in capsys.readouterr().err


def test_unique_safe_stems():
    stems = runpy.run_path(str(TOOL), run_name="x")["unique_stems"]
    assert stems(["a/x.jpg", "b/x.png", "../../X.jpg", "/etc/passwd", "..", "c/.."]) == \
        ["x", "x-2", "X-3", "passwd", "image", "image-2"]
