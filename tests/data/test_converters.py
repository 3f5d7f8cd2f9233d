"""Converters on tiny inputs in the original releases' formats: Pascal Context .mat, Cityscapes labelIds,
ADE20K-Full index + _seg.png; and the COCO-Object paper-protocol transform."""
from __future__ import annotations

import pickle

import numpy as np
import pytest
from PIL import Image

from .conftest import TOOLS, load_tool

pc = load_tool(TOOLS / "dataset_converters" / "pascal_context.py", "pascal_context")
cs = load_tool(TOOLS / "dataset_converters" / "cityscapes.py", "cityscapes")
ade = load_tool(TOOLS / "dataset_converters" / "ade847.py", "ade847")


def test_pc59_mapping_table():
    assert len(pc.PC59_SOURCE_IDS) == 60 and pc.PC59_SOURCE_IDS[0] == 0 and list(pc.PC59_SOURCE_IDS) == sorted(set(pc.PC59_SOURCE_IDS))
    lut = pc.pc60_lut()
    assert lut[2] == 1 and lut[9] == 2 and lut[458] == 59  # aeroplane, bag, ... wood (last)
    assert lut[1] == 0 and lut[3] == 0  # ids outside the 59 classes -> background


def test_pascal_context_end_to_end(tmp_path):
    scipy_io = pytest.importorskip("scipy.io")
    voc = tmp_path / "VOC2010"
    (voc / "ImageSets" / "Main").mkdir(parents=True)
    (voc / "ImageSets" / "Main" / "val.txt").write_text("2008_000001\n2008_000002\n2008_000003\n")
    mats = tmp_path / "context" / "trainval"
    mats.mkdir(parents=True)
    full = np.array([[0, 2, 259], [458, 1, 459]], dtype=np.uint16)
    scipy_io.savemat(str(mats / "2008_000001.mat"), {"LabelMap": full})
    scipy_io.savemat(str(mats / "2008_000002.mat"), {"LabelMap": full[::-1]})
    counts = pc.convert(voc, tmp_path / "context", ["val"])
    assert counts == {"val": 2}  # 2008_000003 has no .mat: left out of the split
    assert (voc / "ImageSets/SegmentationContext/val.txt").read_text().split() == ["2008_000001", "2008_000002"]
    pc60 = np.array(Image.open(voc / "SegmentationClassContext/2008_000001.png"))
    assert pc60.tolist() == [[0, 1, pc.pc60_lut()[259]], [59, 0, 0]]
    tif = Image.open(voc / "annotations_detectron2/pc459_val/2008_000001.tif")
    pc459 = np.array(tif)
    assert pc459.dtype == np.uint16
    assert pc459.tolist() == [[65535, 1, 258], [457, 0, 458]]


def test_pascal_context_bad_input(tmp_path):
    with pytest.raises(FileNotFoundError, match="trainval.tar.gz"):
        pc.convert(tmp_path, tmp_path, ["val"])
    with pytest.raises(ValueError, match="outside 0..459"):
        pc.to_pc60(np.array([[460]]))


def test_cityscapes_table_and_cli(tmp_path):
    lut = cs.train_id_lut()
    assert [int(lut[i]) for i in (7, 8, 11, 26, 33)] == [0, 1, 2, 13, 18]
    assert int(lut[0]) == 255 and int(lut[9]) == 255 and int(lut[34]) == 255
    assert sorted(cs.ID_TO_TRAIN_ID.values()) == list(range(19))
    d = tmp_path / "gtFine" / "val" / "lindau"
    d.mkdir(parents=True)
    Image.fromarray(np.array([[7, 24], [0, 33]], dtype=np.uint8)).save(d / "lindau_000000_000019_gtFine_labelIds.png")
    assert cs.main([str(tmp_path), "--split", "val"]) == 0
    out = np.array(Image.open(d / "lindau_000000_000019_gtFine_labelTrainIds.png"))
    assert out.tolist() == [[0, 11], [255, 18]]
    assert cs.main([str(tmp_path / "missing"), "--split", "val"]) == 1


def test_ade847_end_to_end(tmp_path):
    names = ade.class_names()
    assert len(names) == 847 and names[0] == "wall" and names[1] == "building, edifice"
    root = tmp_path / "ADE20K_2021_17_01"
    scene = root / "images" / "ADE" / "validation" / "a"
    scene.mkdir(parents=True)
    objectnames = ["sky", "unused thing", "wall", "building, edifice"] + [f"x{i}" for i in range(300)]
    ids = np.array([[0, 1, 3], [4, 2, 300]])  # ids are 1-based indices into objectnames
    seg = np.zeros((2, 3, 3), dtype=np.uint8)
    seg[..., 0], seg[..., 1] = (ids // 256) * 10, ids % 256
    Image.fromarray(seg).save(scene / "ADE_frame_1_seg.png")
    Image.fromarray(np.zeros((2, 3, 3), dtype=np.uint8)).save(scene / "ADE_frame_1.jpg")
    with open(root / "index_ade20k.pkl", "wb") as f:
        pickle.dump(dict(folder=["ADE20K_2021_17_01/images/ADE/validation/a", "ADE20K_2021_17_01/images/ADE/training/b"],
                         filename=["ADE_frame_1.jpg", "ADE_train_1.jpg"], objectnames=objectnames), f)
    assert ade.convert(root)["images"] == 1
    out = np.array(Image.open(root / "annotations_detectron2/validation/ADE_frame_1.tif"))
    sky = names.index("sky")
    assert out.dtype == np.uint16
    assert out.tolist() == [[65535, sky, 0], [1, 65535, 65535]]
    assert (root / "images_detectron2/validation/ADE_frame_1.jpg").is_file()
    assert ade.decode_seg(seg).tolist() == ids.tolist()


def test_unlabeled_to_background_and_16bit_loader(tmp_path):
    pytest.importorskip("mmseg")
    from proxyseg.errors import ProxySegError
    from proxyseg.mmseg.datasets import LoadAnnotations16, UnlabeledToBackground

    gt = np.array([[0, 5, 255]], dtype=np.uint8)
    out = UnlabeledToBackground()(dict(gt_seg_map=gt))["gt_seg_map"]
    assert out.tolist() == [[0, 5, 0]] and gt.tolist() == [[0, 5, 255]]
    with pytest.raises(ProxySegError, match="after LoadAnnotations"):
        UnlabeledToBackground()({})
    path = tmp_path / "x.tif"
    Image.fromarray(np.array([[846, 65535, 300]], dtype=np.uint16)).save(path)
    res = LoadAnnotations16()(dict(seg_map_path=str(path), seg_fields=[], reduce_zero_label=False))
    assert res["gt_seg_map"].tolist() == [[846, 65535, 300]]  # MMSeg's uint8 cast would give 78, 255, 44
