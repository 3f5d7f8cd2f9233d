"""tools/segment.py --compare: montage + JSON per image, on the reference photos and a synthetic image."""
import json
import runpy

import numpy as np
import pytest
from PIL import Image

from proxyseg.cli import run_main

from .conftest import REFERENCE_IMAGES
from .test_segment_cli import TOOL, run_tool

SPECS = "clip,maskclip,proxyclip,proxyclip+fa"
REFS = [REFERENCE_IMAGES / "horses.jpg", REFERENCE_IMAGES / "000000000081.jpg"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("cmp")
    img = np.zeros((48, 80, 3), np.uint8)
    img[:24] = (70, 130, 220)
    img[24:] = (60, 170, 60)
    Image.fromarray(img).save(d / "sky and grass.png")
    refs = [p for p in REFS if p.is_file()]
    out = d / "out"
    r = run_tool(*refs, d / "sky and grass.png", "--config", "tiny", "--classes", "horse, grass; lawn, sky",
                 "--compare", SPECS, "--out", out, "--max-side", "96", "--device", "cpu")
    return r, out, refs


def check(out, stem, size):
    info = json.loads((out / f"{stem}_compare.json").read_text())
    assert list(info["methods"]) == SPECS.split(",")
    assert info["classes"] == ["horse", "grass", "sky"] and (info["width"], info["height"]) == size
    assert info["colors"] == {"horse": "#e6194b", "grass": "#3cb44b", "sky": "#0082c8"}
    for spec, m in info["methods"].items():
        assert abs(sum(m["shares"].values()) - 1) < 1e-4 and set(m["shares"]) <= set(info["classes"])
        assert m["seconds"] >= 0 and m["method"]["type"] == spec.split(":")[0].split("+")[0]
    assert info["methods"]["proxyclip+fa"]["feature_adjust"] is True
    fig = Image.open(out / f"{stem}_compare.png")
    assert fig.mode == "RGB" and fig.width > 4 * fig.height  # input + 4 panels in one row
    arr = np.asarray(fig)
    assert (arr == (230, 25, 75)).all(-1).any()  # horse's legend swatch


@pytest.mark.slow
def test_synthetic(run):
    r, out, _ = run
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    check(out, "sky_and_grass", (80, 48))
    assert not list(out.glob("*_mask.png"))  # compare mode writes only the montage and JSON


@pytest.mark.slow
def test_reference_photos(run):
    r, out, refs = run
    if len(refs) < len(REFS):
        pytest.skip(f"reference photos not found in {REFERENCE_IMAGES} (only present in the project workspace)")
    for ref in refs:
        check(out, ref.stem, Image.open(ref).size)


@pytest.fixture(scope="module")
def main():
    return runpy.run_path(str(TOOL), run_name="proxyseg_tools_segment")["main"]


@pytest.mark.parametrize("spec, message", [
    ("clip,proxclip", "error: method spec 'proxclip': unknown method 'proxclip' (did you mean 'proxyclip'?)"),
    ("clip,clip", "error: method spec 'clip' is given twice"),
])
def test_bad_spec_one_line(main, capsys, tmp_path, spec, message):
    code = run_main(main, ["x.png", "--config", "tiny", "--classes", "a", "--compare", spec, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())  # refused before anything was written
