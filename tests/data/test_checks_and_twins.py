"""Synthetic twins of the ten benchmarks, tools/check_data.py on them, and their dataset classes."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from proxyseg.data.benchmarks import DATASETS
from proxyseg.data.checks import SPECS, check

from .conftest import TOOLS, load_tool

ROOTS = {s.name: s.data_root.split("data/", 1)[1] for s in SPECS.values()}


def test_every_benchmark_has_a_check():
    assert set(SPECS) == {"coco_stuff164k", "coco_object", "voc21", "voc20", "context60", "context59", "context459",
                          "cityscapes", "ade20k", "ade847"}
    assert {d.base.replace("_paper", "") for d in DATASETS} == set(SPECS)
    assert {s.name: s.val_images for s in SPECS.values()}["context459"] == 5105


@pytest.mark.parametrize("name", sorted(ROOTS))
def test_twin_passes_check(twins, name):
    rep = check(name, twins / ROOTS[name], sample=0, partial=True)
    assert rep.ok, rep.problems
    assert any("2 val images, official" in n for n in rep.notes)


def test_check_reports_problems_and_fixes(twins, tmp_path):
    rep = check("voc21", twins / ROOTS["voc21"])  # not --partial: 2 of 1449 is a problem
    assert not rep.ok and "official 1449" in rep.problems[0]
    # raw (unconverted) Cityscapes ids in a labelTrainIds file
    import shutil

    city = tmp_path / "cityscapes"
    shutil.copytree(twins / "cityscapes", city)
    label = next(city.rglob("*_gtFine_labelTrainIds.png"))
    Image.fromarray(np.full((4, 4), 33, dtype=np.uint8)).save(label)
    rep = check("cityscapes", city, sample=0, partial=True)
    assert len(rep.problems) == 1 and "holds [33]" in rep.problems[0]
    assert "tools/dataset_converters/cityscapes.py" in rep.problems[0]
    label.unlink()
    rep = check("cityscapes", city, sample=0, partial=True)
    assert "have no *_gtFine_labelTrainIds.png label" in rep.problems[0]
    rep = check("ade847", tmp_path / "nowhere")
    assert "not found" in rep.problems[0] and "ade847.py" in rep.problems[0]


def test_check_data_cli(twins, capsys):
    tool = load_tool(TOOLS / "check_data.py", "check_data_tool")
    assert tool.main(["context459", "--data-root", str(twins / ROOTS["context459"]), "--partial"]) == 0
    assert "OK" in capsys.readouterr().out
    assert tool.main(["context459", "--data-root", str(twins / ROOTS["context459"])]) == 1
    assert "official 5105" in capsys.readouterr().err


def test_twin_label_formats(twins):
    pc459 = np.array(Image.open(next((twins / "VOCdevkit/VOC2010/annotations_detectron2/pc459_val").glob("*.tif"))))
    assert pc459.dtype == np.uint16 and 65535 in pc459  # the unlabeled ring
    ade = np.array(Image.open(next((twins / "ADE20K_2021_17_01/annotations_detectron2/validation").glob("*.tif"))))
    assert ade.dtype == np.uint16 and ade[ade != 65535].max() < 847
    voc = Image.open(next((twins / "VOCdevkit/VOC2012/SegmentationClass").glob("*.png")))
    assert voc.mode == "P"  # palette PNG as VOC ships


def test_existing_default_still_writes_the_coco_pair(synth, tmp_path):
    synth.main(["--out", str(tmp_path), "--num", "1"])
    assert len(list((tmp_path / "coco_object/annotations/train2017").glob("*_instanceTrainIds.png"))) == 1
    assert len(list((tmp_path / "coco_stuff164k/images/val2017").glob("*.jpg"))) == 1
