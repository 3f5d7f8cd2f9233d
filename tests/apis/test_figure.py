"""tools/figure.py on the synthetic dataset with tiny models: one PNG grid + JSON, and its refusals."""
import json
import runpy

import numpy as np
import pytest
from PIL import Image

from proxyseg.apis.figure import dataset_samples, label_overlay, protocol_short_side
from proxyseg.cli import run_main

from .conftest import REPO

TOOL = REPO / "tools" / "figure.py"
SMOKE = "configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    make = runpy.run_path(str(REPO / "tools" / "make_synthetic_data.py"), run_name="x")["make_synthetic_data"]
    out = tmp_path_factory.mktemp("syn")
    make(out, num=3, splits=("val2017",))
    return out / "coco_object"


@pytest.fixture(scope="module")
def main():
    return runpy.run_path(str(TOOL), run_name="proxyseg_tools_figure")["main"]


def test_samples_and_protocol(data):
    from proxyseg.apis import load_config

    cfg = load_config(SMOKE)
    samples = dataset_samples(cfg, data_root=str(data), num=2)
    assert [s.name for s in samples] == ["000000000001", "000000000002"]
    assert all(s.label.name.endswith("_instanceTrainIds.png") for s in samples)
    assert protocol_short_side(cfg) == 112
    assert [s.name for s in dataset_samples(cfg, data_root=str(data), names=["000000000003"])] == ["000000000003"]


def test_label_overlay_ignore_white():
    img = np.full((2, 2, 3), 100, np.uint8)
    out = label_overlay(img, np.array([[0, 1], [255, 1]]), np.array([[0, 0, 0], [200, 0, 0]], np.uint8), 0.5)
    assert out[1, 0].tolist() == [255, 255, 255] and out[0, 1].tolist() == [150, 50, 50]


def test_figure_on_synthetic_data(main, data, tmp_path, capsys):
    out = tmp_path / "fig1.png"
    code = run_main(main, ["--config", SMOKE, "--data-root", str(data), "--preset", "fig1", "--num", "2",
                           "--cell-height", "100", "--out", str(out), "--device", "cpu"])
    err = capsys.readouterr().err
    assert code == 0, err
    fig = Image.open(out)
    assert fig.mode == "RGB" and f"{out} ({fig.width}x{fig.height}, 2 images x 2 methods)" in err
    assert 2 * 100 < fig.height < 2 * 100 + 160  # 2 rows of 100 px, titles and legend
    info = json.loads(out.with_suffix(".json").read_text())
    assert info["methods"] == ["proxyclip", "proxyclip+fa"] and list(info["images"]) == ["000000000001", "000000000002"]
    for per in info["images"].values():
        assert all(0 <= m["pixel_accuracy"] <= 1 and m["seconds"] >= 0 for m in per.values())
    arr = np.asarray(fig)
    assert (arr == 0).all(-1).any()  # the background swatch (class 0 is black)


@pytest.mark.parametrize("args, message", [
    (["--methods", "proxyclip,proxyclip+xx"], "error: method spec 'proxyclip+xx': unknown option '+xx'"),
    (["--data-root", "/nonexistent/data"], "error: image folder /nonexistent/data/images/val2017 not found"),
    (["--images", "nope"], "error: image 'nope' not found in"),
    (["--out", "fig.jpg"], "error: --out fig.jpg: the figure is a PNG"),
])
def test_refusals(main, data, capsys, args, message):
    base = ["--config", SMOKE, "--data-root", str(data), "--device", "cpu"]
    code = run_main(main, base + args)
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_figure_layout_and_legend(data):
    from proxyseg.apis.figure import dataset_figure

    from .test_montage import check_text

    fig, summary = dataset_figure(SMOKE, "fig2", num=1, data_root=str(data), device="cpu", cell_height=90)
    check_text(fig)  # nothing overlaps, nothing leaves the picture
    texts = [t for t, _ in fig.text_boxes]
    assert texts[:4] == ["image", "ground truth", "proxyclip:dino-s8", "proxyclip:dino-s16"]
    assert "000000000001" in texts and texts[5] == "background"  # class 0 of the COCO-Object file
    assert summary["methods"] == ["proxyclip:dino-s8", "proxyclip:dino-s16"]
