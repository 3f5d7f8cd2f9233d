"""Pseudo-labels: MMSeg label format, 255 where the teacher is unsure, resumable, transforms."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from .conftest import PSEUDO_DIR, SMOKE_TEACHER, tool


@pytest.fixture(scope="module")
def teacher_cfg(stuff_root):
    from mmengine.config import Config

    cfg = Config.fromfile(str(SMOKE_TEACHER))
    cfg.test_dataloader.dataset.data_root = str(stuff_root)
    return cfg


@pytest.fixture(scope="module")
def teacher(teacher_cfg):
    from proxyseg.mmseg.pseudo_labels import Teacher

    torch.manual_seed(0)
    return Teacher.from_config(teacher_cfg, device="cpu")


@pytest.fixture(scope="module")
def first_image(stuff_root, teacher):
    """(image name, teacher probs (K, H, W), mask (H, W), confidence (H, W)) of train image 0."""
    from proxyseg.mmseg.pseudo_labels import to_pseudo_label

    path = sorted((stuff_root / "images" / "train2017").glob("*.jpg"))[0]
    img = np.asarray(Image.open(path).convert("RGB"))[..., ::-1].copy()  # BGR, as LoadImageFromFile
    probs, mask = teacher.predict_image(img, str(path))
    _, conf = to_pseudo_label(probs, mask, 0.0)
    return path.stem, probs, mask, conf


@pytest.fixture(scope="module")
def labelled(teacher_cfg, teacher, first_image, stuff_root):
    """Labels for all 4 training images with thd = median confidence of image 0 (so both
    labelled and ignored pixels exist)."""
    from proxyseg.mmseg.pseudo_labels import make_pseudo_labels

    thd = float(np.median(first_image[3]))
    summary = make_pseudo_labels(teacher_cfg, thd=thd, teacher=teacher, progress=False)
    return thd, summary, stuff_root / PSEUDO_DIR


def test_label_png_matches_teacher(first_image, labelled):
    name, probs, mask, conf = first_image
    thd, summary, out = labelled
    label = np.asarray(Image.open(out / f"{name}_labelTrainIds.png"))
    assert label.dtype == np.uint8 and label.shape == tuple(probs.shape[1:])
    keep = conf >= thd
    assert keep.any() and (~keep).any()
    assert (label[~keep] == 255).all()
    np.testing.assert_array_equal(label[keep], mask.numpy()[keep])
    # mask is the argmax of the class probabilities (COCO-Stuff teacher: prob_thd 0)
    np.testing.assert_array_equal(mask.numpy(), probs.argmax(0).numpy())
    np.testing.assert_allclose(conf, probs.max(0).values.numpy(), atol=1e-6)
    stored = np.asarray(Image.open(out / f"{name}_labelTrainIds_conf.png")).astype(np.float32) / 255
    assert np.abs(stored - conf).max() <= 0.5 / 255 + 1e-6


def test_summary_and_list(labelled, stuff_root):
    thd, summary, out = labelled
    assert summary["images"] == 4 and summary["written"] == 4 and summary["skipped"] == 0
    assert summary["thd"] == pytest.approx(thd)
    assert 0 < summary["ignored_fraction"] < 1
    labels = [np.asarray(Image.open(p)) for p in sorted(out.glob("*_labelTrainIds.png"))]
    pixels = sum(lab.size for lab in labels)
    assert summary["pixels"] == pixels
    assert summary["ignored_fraction"] == pytest.approx(sum((lab == 255).sum() for lab in labels) / pixels, abs=1e-6)
    assert sum(summary["class_histogram"].values()) == sum((lab != 255).sum() for lab in labels)
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk["class_histogram"] == summary["class_histogram"]
    names = (out / "labelled.txt").read_text().split()
    assert names == sorted(p.stem for p in (stuff_root / "images" / "train2017").glob("*.jpg"))


def test_second_run_skips_and_other_settings_are_refused(labelled, stuff_root, capsys):
    from proxyseg.errors import UsageError

    thd, _, out = labelled
    main = tool("make_pseudo_labels")["main"]
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.png")}
    assert main([str(SMOKE_TEACHER), "--data-root", str(stuff_root), "--device", "cpu", "--thd", str(thd)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["written"] == 0 and summary["skipped"] == 4 and summary["images"] == 4
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.png")} == before
    assert "4 images labelled (0 now, 4 already there)" in capsys.readouterr().out
    with pytest.raises(UsageError, match="other settings.*thd"):
        main([str(SMOKE_TEACHER), "--data-root", str(stuff_root), "--device", "cpu", "--thd", "0.99"])


def test_resume_after_interruption(teacher_cfg, teacher, tmp_path):
    """Only missing labels are computed; stats of the earlier run are kept."""
    from proxyseg.mmseg.pseudo_labels import make_pseudo_labels

    out = tmp_path / "pl"
    first = make_pseudo_labels(teacher_cfg, out_dir=str(out), limit=2, teacher=teacher, progress=False,
                               conf_format="npy")
    assert first["images"] == 2 and len(list(out.glob("*_conf.npy"))) == 2
    (out / sorted(out.glob("*_labelTrainIds.png"))[0].name).unlink()  # as if killed mid-image
    second = make_pseudo_labels(teacher_cfg, out_dir=str(out), teacher=teacher, progress=False, conf_format="npy")
    assert (second["written"], second["skipped"], second["images"]) == (3, 1, 4)
    assert len((out / "labelled.txt").read_text().split()) == 4


def test_background_rule_confidence():
    """Where the teacher's prob_thd sent a pixel to background, confidence is 1 - best prob."""
    from proxyseg.mmseg.pseudo_labels import to_pseudo_label

    probs = torch.tensor([[[0.1, 0.1]], [[0.2, 0.8]], [[0.7, 0.1]]])  # (K=3, 1, 2)
    mask = torch.tensor([[0, 1]])  # pixel 0: argmax 2 overridden to background 0
    label, conf = to_pseudo_label(probs, mask, thd=0.5)
    np.testing.assert_allclose(conf, [[0.3, 0.8]], atol=1e-6)
    np.testing.assert_array_equal(label, [[255, 1]])


def test_training_time_threshold_transform(labelled):
    from proxyseg.errors import DatasetError
    from proxyseg.mmseg.pseudo_labels import PseudoLabelConfidenceThreshold, read_confidence

    thd, _, out = labelled
    seg_path = sorted(out.glob("*_labelTrainIds.png"))[1]
    seg = np.asarray(Image.open(seg_path)).copy()
    conf = read_confidence(str(seg_path).replace(".png", "_conf.png"))
    res = PseudoLabelConfidenceThreshold(thd=0.9)(dict(seg_map_path=str(seg_path), gt_seg_map=seg.copy()))
    assert (res["gt_seg_map"][conf < 0.9] == 255).all()
    np.testing.assert_array_equal(res["gt_seg_map"][conf >= 0.9], seg[conf >= 0.9])
    with pytest.raises(DatasetError, match="--conf npy"):
        PseudoLabelConfidenceThreshold(thd=0.9, conf_format="npy")(dict(seg_map_path=str(seg_path), gt_seg_map=seg))


def test_on_the_fly_transform_equals_cache(labelled, stuff_root, first_image):
    """TeacherPseudoLabel in a pipeline gives the cached labels (same seed -> same random teacher)."""
    from mmcv.transforms import LoadImageFromFile

    from proxyseg.mmseg.pseudo_labels import TeacherPseudoLabel

    thd, _, out = labelled
    name = first_image[0]
    t = TeacherPseudoLabel(config=str(SMOKE_TEACHER), thd=thd,
                           cfg_options={"test_dataloader.dataset.data_root": str(stuff_root)})
    torch.manual_seed(0)
    res = LoadImageFromFile()(dict(img_path=str(stuff_root / "images" / "train2017" / f"{name}.jpg")))
    res = t(res)
    cached = np.asarray(Image.open(out / f"{name}_labelTrainIds.png"))
    np.testing.assert_array_equal(res["gt_seg_map"], cached)
    assert "gt_seg_map" in res["seg_fields"]
