"""Data tools: COCO converters (mapping tables, CLI end to end), synthetic data, MMSeg datasets,
the data-root check, and the real one-image COCO-Object reference set."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / "tools"
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
#: COCO 2017 category ids (1-based) without a category: raw ids are these minus 1
UNUSED_COCO_CATEGORY_IDS = (12, 26, 29, 30, 45, 66, 68, 69, 71, 83, 91)


def _load(path: Path, name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def synth() -> ModuleType:
    return _load(TOOLS / "make_synthetic_data.py", "make_synthetic_data")


@pytest.fixture(scope="module")
def stuff(synth) -> ModuleType:
    return synth.load_converter("coco_stuff164k")


@pytest.fixture(scope="module")
def obj(synth) -> ModuleType:
    return synth.load_converter("coco_object")


@pytest.fixture(scope="module")
def synthetic_root(synth, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    synth.make_synthetic_data(out, num=4, seed=0)
    return out


@pytest.fixture(scope="module")
def mmseg_scope():
    pytest.importorskip("mmseg")
    from mmengine.registry import init_default_scope

    import proxyseg.mmseg.datasets as datasets

    init_default_scope("mmseg")
    return datasets


def _read(path: Path) -> np.ndarray:
    return np.array(Image.open(path))


# ----------------------------------------------------------------------------- mapping tables


def test_thing_and_stuff_ids(stuff):
    assert len(stuff.THING_IDS) == 80 and len(stuff.STUFF_IDS) == 91
    assert stuff.UNUSED_THING_IDS == tuple(c - 1 for c in UNUSED_COCO_CATEGORY_IDS)
    assert sorted(stuff.THING_IDS + stuff.UNUSED_THING_IDS) == list(range(91))
    assert stuff.STUFF_IDS == tuple(range(91, 182))


def test_coco_object_lut(obj):
    lut = obj.coco_object_lut()
    assert lut.shape == (256,) and lut.dtype == np.uint8
    assert [int(lut[r]) for r in obj.THING_IDS] == list(range(1, 81)), "things -> 1..80 in order"
    assert (lut[list(obj.STUFF_IDS)] == 0).all(), "stuff -> background"
    assert (lut[list(obj.UNUSED_THING_IDS)] == 255).all()
    assert lut[255] == 255 and (lut[182:255] == 255).all()
    assert obj.coco_object_lut("background")[255] == 0
    assert (obj.coco_object_lut("background")[:255] == lut[:255]).all()
    with pytest.raises(ValueError, match="unlabeled"):
        obj.coco_object_lut("nope")


def test_coco_stuff_lut_is_mmseg_mapping(stuff):
    lut = stuff.coco_stuff_lut()
    assert [int(lut[r]) for r in stuff.THING_IDS] == list(range(80))
    assert [int(lut[r]) for r in stuff.STUFF_IDS] == list(range(80, 171))
    assert lut[255] == 255 and (lut[list(stuff.UNUSED_THING_IDS)] == 255).all() and (lut[182:] == 255).all()
    mmseg = pytest.importorskip("mmseg")
    path = Path(mmseg.__file__).parent / ".mim" / "tools" / "dataset_converters" / "coco_stuff164k.py"
    if not path.is_file():
        pytest.skip(f"MMSeg's converter not installed at {path}")
    theirs = _load(path, "_mmseg_coco_stuff164k").clsID_to_trID
    assert {k: int(lut[k]) for k in theirs} == theirs
    assert int((lut != 255).sum()) + 1 == len(theirs)  # + their 255 -> 255


def test_object_and_stuff_labels_agree(stuff, obj):
    """COCO-Object = COCO-Stuff train ids with things shifted by one and stuff merged."""
    raw = np.random.default_rng(0).choice(np.r_[stuff.THING_IDS, stuff.STUFF_IDS, 255], size=(40, 50)).astype(np.uint8)
    s, o = stuff.convert_coco_stuff(raw), obj.convert_coco_object(raw)
    expected = np.where(s == 255, 255, np.where(s < 80, s + 1, 0))
    assert (o == expected).all()
    with pytest.raises(Exception, match="single-channel"):
        obj.convert_coco_object(np.zeros((4, 4, 3), np.uint8))


# ----------------------------------------------------------------------------- converters end to end


def _raw_root(root: Path, n: int = 3, split: str = "val2017") -> Path:
    """A tiny COCO-Stuff root: images + raw labels (+ a converted file that must be ignored)."""
    rng = np.random.default_rng(1)
    (root / "images" / split).mkdir(parents=True)
    (root / "annotations" / split).mkdir(parents=True)
    values = np.r_[0, 1, 12, 89, 91, 150, 181, 255].astype(np.uint8)
    for i in range(n):
        name = f"{i + 1:012d}"
        Image.new("RGB", (20, 16), (i, 0, 0)).save(root / "images" / split / f"{name}.jpg")
        Image.fromarray(rng.choice(values, size=(16, 20)).astype(np.uint8), mode="L").save(
            root / "annotations" / split / f"{name}.png")
    Image.new("L", (20, 16), 7).save(root / "annotations" / split / f"{1:012d}_labelTrainIds.png")
    return root


def test_coco_object_converter_end_to_end(obj, tmp_path, capsys):
    root, out = _raw_root(tmp_path / "stuff"), tmp_path / "object"
    assert obj.main([str(root), "-o", str(out), "--nproc", "1"]) == 0
    summary = capsys.readouterr().out
    assert "val2017: 3 raw labels" in summary and "(3 converted, 0 up to date)" in summary
    labels = sorted((out / "annotations" / "val2017").iterdir())
    assert [p.name for p in labels] == [f"{i:012d}_instanceTrainIds.png" for i in (1, 2, 3)]
    raw = _read(root / "annotations" / "val2017" / f"{1:012d}.png")
    assert (_read(labels[0]) == obj.convert_coco_object(raw)).all()
    assert set(np.unique(_read(labels[0]))) <= {0, 1, 2, 12, 80, 255}  # raw 0, 1, 12, 89 -> 1, 2, 12, 80
    assert (out / "images" / "val2017").is_symlink()
    assert sorted(p.name for p in (out / "images" / "val2017").iterdir()) == [f"{i:012d}.jpg" for i in (1, 2, 3)]

    # idempotent: nothing to do the second time, outputs untouched
    mtimes = [p.stat().st_mtime_ns for p in labels]
    assert obj.main([str(root), "-o", str(out), "--nproc", "1"]) == 0
    assert "(0 converted, 3 up to date)" in capsys.readouterr().out
    assert [p.stat().st_mtime_ns for p in labels] == mtimes
    # a newer raw label is converted again; --force converts all
    src = root / "annotations" / "val2017" / f"{2:012d}.png"
    later = time.time() + 10
    os.utime(src, (later, later))
    obj.main([str(root), "-o", str(out), "--nproc", "1"])
    assert "(1 converted, 2 up to date)" in capsys.readouterr().out
    obj.main([str(root), "-o", str(out), "--nproc", "1", "--force"])
    assert "(3 converted, 0 up to date)" in capsys.readouterr().out


def test_converted_root_is_a_coco_object_dataset(obj, mmseg_scope, tmp_path, capsys):
    """Converter output (images symlinked) passes the data-root check and loads in MMSeg."""
    from mmseg.registry import DATASETS

    root, out = _raw_root(tmp_path / "stuff"), tmp_path / "object"
    obj.main([str(root), "-o", str(out), "--nproc", "1"])
    prefix = dict(img_path="images/val2017", seg_map_path="annotations/val2017")
    assert mmseg_scope.check_data_root(out, prefix, ".jpg", "_instanceTrainIds.png") == dict(images=3, labels=3)
    ds = DATASETS.build(dict(type="COCOObjectDataset", data_root=str(out), data_prefix=prefix, pipeline=[]))
    assert len(ds) == 3


def test_coco_stuff_converter_in_place(stuff, tmp_path, capsys):
    root = _raw_root(tmp_path / "stuff", n=2)
    assert stuff.main([str(root), "--nproc", "1", "--split", "val2017"]) == 0
    assert "val2017: 2 raw labels" in capsys.readouterr().out
    ann = root / "annotations" / "val2017"
    raw = _read(ann / f"{2:012d}.png")
    assert (_read(ann / f"{2:012d}_labelTrainIds.png") == stuff.convert_coco_stuff(raw)).all()
    assert not (root / "images" / "val2017").is_symlink()


def test_converter_cli_parallel_and_errors(tmp_path):
    root = _raw_root(tmp_path / "stuff", n=5)
    script = TOOLS / "dataset_converters" / "coco_object.py"
    run = subprocess.run([sys.executable, str(script), str(root), "--nproc", "2", "--unlabeled", "background"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    outs = sorted((root / "annotations" / "val2017").glob("*_instanceTrainIds.png"))
    assert len(outs) == 5 and all(255 not in _read(p) for p in outs)
    assert "(5 converted, 0 up to date)" in run.stdout

    run = subprocess.run([sys.executable, str(script), str(tmp_path / "missing")], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2
    assert run.stderr.startswith("error: COCO-Stuff root") and "data/README.md" in run.stderr
    assert "Traceback" not in run.stderr
    run = subprocess.run([sys.executable, str(TOOLS / "dataset_converters" / "coco_stuff164k.py"), "--help"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "--nproc" in run.stdout and "--force" in run.stdout


def test_converter_errors(obj, tmp_path):
    from proxyseg.errors import DatasetError

    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no annotations folder in .*stuffthingmaps_trainval2017.zip"):
        obj.main([str(tmp_path / "empty")])
    (tmp_path / "empty" / "annotations").mkdir()
    with pytest.raises(DatasetError, match="neither .*train2017 nor .*val2017"):
        obj.main([str(tmp_path / "empty")])
    (tmp_path / "empty" / "annotations" / "val2017").mkdir()
    with pytest.raises(DatasetError, match="no raw label PNGs"):
        obj.main([str(tmp_path / "empty")])
    Image.new("RGB", (4, 4)).save(tmp_path / "empty" / "annotations" / "val2017" / "x.png")
    with pytest.raises(DatasetError, match="not a single-channel label map"):
        obj.main([str(tmp_path / "empty"), "--nproc", "1"])


# ----------------------------------------------------------------------------- synthetic data


def test_synthetic_layout_and_values(synth, synthetic_root):
    for split in ("val2017", "train2017"):
        for ds, suffix, top in (("coco_stuff164k", "_labelTrainIds.png", 170), ("coco_object", "_instanceTrainIds.png", 80)):
            images = sorted((synthetic_root / ds / "images" / split).iterdir())
            labels = sorted((synthetic_root / ds / "annotations" / split).iterdir())
            assert len(images) == len(labels) == 4
            assert all(p.suffix == ".jpg" for p in images) and all(p.name.endswith(suffix) for p in labels)
            for i, (img, lab) in enumerate(zip(images, labels)):
                assert lab.name == img.stem + suffix
                arr = _read(lab)
                h, w = synth.SIZES[i]
                assert arr.shape == (h, w) and arr.dtype == np.uint8 and Image.open(lab).mode == "L"
                assert Image.open(img).size == (w, h)
                values = np.unique(arr)
                assert 255 in values and values[values != 255].max() <= top and len(values) >= 3
    assert len({s for s in synth.SIZES if s[0] != s[1]}) >= 3


def test_synthetic_labels_follow_the_images(synthetic_root):
    """Pixels of one class have one colour (plus noise): segmentation is learnable, not random."""
    for img in sorted((synthetic_root / "coco_stuff164k" / "images" / "val2017").iterdir()):
        rgb = _read(img).astype(float)
        lab = _read(synthetic_root / "coco_stuff164k" / "annotations" / "val2017" / (img.stem + "_labelTrainIds.png"))
        for c in np.unique(lab[lab != 255]):
            assert rgb[lab == c].std(axis=0).max() < 25
        obj_lab = _read(synthetic_root / "coco_object" / "annotations" / "val2017" / (img.stem + "_instanceTrainIds.png"))
        assert ((lab < 80) == ((obj_lab >= 1) & (obj_lab <= 80))).all()
        assert (_read(synthetic_root / "coco_object" / "images" / "val2017" / img.name) == _read(img)).all()


def test_synthetic_is_deterministic(synth, synthetic_root, tmp_path):
    synth.make_synthetic_data(tmp_path / "a", num=2, seed=0, splits=["val2017"])
    synth.make_synthetic_data(tmp_path / "b", num=2, seed=5, splits=["val2017"])
    rel = Path("coco_object/annotations/val2017") / f"{1:012d}_instanceTrainIds.png"
    assert (_read(tmp_path / "a" / rel) == _read(synthetic_root / rel)).all()
    assert not (_read(tmp_path / "b" / rel) == _read(synthetic_root / rel)).all()
    # a rerun with fewer images replaces the old files
    synth.make_synthetic_data(tmp_path / "a", num=1, seed=0, splits=["val2017"])
    assert len(list((tmp_path / "a" / "coco_object" / "images" / "val2017").iterdir())) == 1


def test_synthetic_cli_refuses_foreign_folder(tmp_path):
    (tmp_path / "mine.txt").write_text("not synthetic")
    run = subprocess.run([sys.executable, str(TOOLS / "make_synthetic_data.py"), "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "not written by make_synthetic_data.py" in run.stderr
    run = subprocess.run([sys.executable, str(TOOLS / "make_synthetic_data.py"), "--out", str(tmp_path / "s"),
                          "--num", "2", "--seed", "3"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "val2017: 2 images" in run.stdout and "_instanceTrainIds.png" in run.stdout


# ----------------------------------------------------------------------------- MMSeg datasets


def test_datasets_registered_idempotently(mmseg_scope):
    from mmseg.datasets import COCOStuffDataset, PascalVOCDataset
    from mmseg.registry import DATASETS

    mmseg_scope.register_datasets()
    mmseg_scope.register_datasets()
    coco = DATASETS.get("COCOObjectDataset")
    assert coco is mmseg_scope.COCOObjectDataset
    classes = coco.METAINFO["classes"]
    assert len(classes) == 81 and classes[0] == "background"
    assert classes[1:] == COCOStuffDataset.METAINFO["classes"][:80] and len(coco.METAINFO["palette"]) == 81
    voc20 = DATASETS.get("PascalVOC20Dataset")
    assert voc20.METAINFO["classes"] == PascalVOCDataset.METAINFO["classes"][1:]
    assert len(voc20.METAINFO["palette"]) == 20


@pytest.mark.parametrize("dataset,suffix,n_classes", [("coco_object", "_instanceTrainIds.png", 81),
                                                      ("coco_stuff164k", "_labelTrainIds.png", 171)])
def test_smoke_configs_load_synthetic_data(mmseg_scope, synthetic_root, dataset, suffix, n_classes):
    from mmengine.config import Config
    from mmseg.registry import DATASETS

    name = "smoke_coco_object.py" if dataset == "coco_object" else "smoke_coco_stuff.py"
    cfg = Config.fromfile(str(REPO / "configs" / "_base_" / "datasets" / name))
    assert cfg.test_dataloader.dataset.data_root == f"data/synthetic/{dataset}"
    assert cfg.test_dataloader.num_workers == 0 and cfg.test_dataloader.persistent_workers is False
    ds_cfg = cfg.test_dataloader.dataset
    ds_cfg.data_root = str(synthetic_root / dataset)
    ds = DATASETS.build(ds_cfg)
    assert len(ds) == 4 and len(ds.metainfo["classes"]) == n_classes
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        assert info["seg_map_path"].endswith(suffix) and Path(info["seg_map_path"]).is_file()
    sample = ds[0]
    gt = sample["data_samples"].gt_sem_seg.data
    assert tuple(gt.shape[-2:]) == (96, 128)  # labels stay at the original size
    assert min(sample["inputs"].shape[-2:]) == 112  # images resized to the smoke short side
    assert int(gt[gt != 255].max()) < n_classes
    assert mmseg_scope.check_dataset_cfg(ds_cfg) == dict(images=4, labels=4)
    train = cfg.train_dataset
    train.data_root = str(synthetic_root / dataset)
    assert len(DATASETS.build(train)) == 4


def test_voc20_ignores_background(mmseg_scope, tmp_path):
    from mmseg.registry import DATASETS

    (tmp_path / "JPEGImages").mkdir()
    (tmp_path / "SegmentationClass").mkdir()
    (tmp_path / "ImageSets" / "Segmentation").mkdir(parents=True)
    Image.new("RGB", (8, 6)).save(tmp_path / "JPEGImages" / "a.jpg")
    label = np.zeros((6, 8), np.uint8)
    label[:, 4:] = 20
    label[0] = 255
    Image.fromarray(label, mode="L").save(tmp_path / "SegmentationClass" / "a.png")
    (tmp_path / "ImageSets" / "Segmentation" / "val.txt").write_text("a\n")
    ds = DATASETS.build(dict(
        type="PascalVOC20Dataset", data_root=str(tmp_path), ann_file="ImageSets/Segmentation/val.txt",
        data_prefix=dict(img_path="JPEGImages", seg_map_path="SegmentationClass"),
        pipeline=[dict(type="LoadImageFromFile"), dict(type="LoadAnnotations"), dict(type="PackSegInputs")]))
    gt = ds[0]["data_samples"].gt_sem_seg.data[0].numpy()
    assert set(np.unique(gt)) == {19, 255} and (gt[1:, :4] == 255).all() and (gt[1:, 4:] == 19).all()
    assert mmseg_scope.check_data_root(tmp_path, dict(img_path="JPEGImages", seg_map_path="SegmentationClass"),
                                       ".jpg", ".png", ann_file="ImageSets/Segmentation/val.txt") == dict(images=1, labels=1)


def test_reference_coco_object_mini(mmseg_scope):
    root = REFERENCE / "coco_object_mini"
    if not root.is_dir():
        pytest.skip(f"reference data not found at {root} (only present in the project workspace)")
    from mmengine.config import Config
    from mmseg.registry import DATASETS

    cfg = Config.fromfile(str(REPO / "configs" / "_base_" / "datasets" / "coco_object.py"))
    ds_cfg = cfg.test_dataloader.dataset
    ds_cfg.data_root = str(root)
    assert mmseg_scope.check_dataset_cfg(ds_cfg) == dict(images=1, labels=1)
    ds = DATASETS.build(ds_cfg)
    assert len(ds) == 1
    sample = ds[0]
    gt = sample["data_samples"].gt_sem_seg.data
    assert tuple(gt.shape[-2:]) == (426, 640) and min(sample["inputs"].shape[-2:]) == 336
    values = set(np.unique(gt.numpy()).tolist())
    assert 0 in values and values <= set(range(81)) | {255}
    assert 1 in values  # person


# ----------------------------------------------------------------------------- data-root check


def _dataset(root: Path, names=("a", "b"), labels=("a", "b")) -> dict:
    (root / "images" / "val2017").mkdir(parents=True)
    (root / "annotations" / "val2017").mkdir(parents=True)
    for n in names:
        (root / "images" / "val2017" / f"{n}.jpg").write_bytes(b"")
    for n in labels:
        (root / "annotations" / "val2017" / f"{n}_instanceTrainIds.png").write_bytes(b"")
    return dict(img_path="images/val2017", seg_map_path="annotations/val2017")


def test_check_data_root_ok(mmseg_scope, tmp_path):
    prefix = _dataset(tmp_path, names=("a", "b", "c"), labels=("a", "b", "c"))
    (tmp_path / "annotations" / "val2017" / "a.png").write_bytes(b"")  # a raw label next to ours: fine
    assert mmseg_scope.check_data_root(tmp_path, prefix, ".jpg", "_instanceTrainIds.png") == dict(images=3, labels=3)


def test_check_data_root_missing_root(mmseg_scope):
    from proxyseg.errors import DatasetError

    with pytest.raises(DatasetError) as e:
        mmseg_scope.check_data_root("data/does_not_exist", dict(img_path="images/val2017"), ".jpg", ".png")
    assert str(e.value) == ("data root data/does_not_exist not found: put the dataset there (see data/README.md) "
                            "or pass --data-root")


def test_check_data_root_layout_errors(mmseg_scope, tmp_path):
    from proxyseg.errors import DatasetError

    check = mmseg_scope.check_data_root
    prefix = dict(img_path="images/val2017", seg_map_path="annotations/val2017")
    with pytest.raises(DatasetError, match=r"image folder .*images/val2017 not found .*data/README.md"):
        check(tmp_path, prefix, ".jpg", ".png")
    (tmp_path / "images" / "val2017").mkdir(parents=True)
    with pytest.raises(DatasetError, match=r"annotation folder .*annotations/val2017 not found"):
        check(tmp_path, prefix, ".jpg", ".png")
    (tmp_path / "annotations" / "val2017").mkdir(parents=True)
    with pytest.raises(DatasetError, match=r"no \*\.jpg images in .*images/val2017"):
        check(tmp_path, prefix, ".jpg", ".png")


def test_check_data_root_images_without_labels(mmseg_scope, tmp_path):
    from proxyseg.errors import DatasetError

    prefix = _dataset(tmp_path, names=("a", "b", "c", "d", "e"), labels=("a",))
    with pytest.raises(DatasetError) as e:
        mmseg_scope.check_data_root(tmp_path, prefix, ".jpg", "_instanceTrainIds.png")
    msg = str(e.value)
    assert msg.startswith("4 of 5 images in ") and "have no *_instanceTrainIds.png label" in msg
    assert "(e.g. b.jpg, c.jpg, d.jpg, ...)" in msg and "tools/dataset_converters/coco_object.py" in msg
    assert "\n" not in msg


def test_check_data_root_labels_without_images(mmseg_scope, tmp_path):
    from proxyseg.errors import DatasetError

    prefix = _dataset(tmp_path, names=("a",), labels=("a", "z"))
    with pytest.raises(DatasetError, match=r"1 labels in .* have no \*\.jpg image .*z_instanceTrainIds\.png"):
        mmseg_scope.check_data_root(tmp_path, prefix, ".jpg", "_instanceTrainIds.png")


def test_check_data_root_split_file(mmseg_scope, tmp_path):
    from proxyseg.errors import DatasetError

    prefix = _dataset(tmp_path, names=("a", "b"), labels=("a",))
    split = tmp_path / "val.txt"
    with pytest.raises(DatasetError, match="split file .*val.txt not found"):
        mmseg_scope.check_data_root(tmp_path, prefix, ".jpg", "_instanceTrainIds.png", ann_file="val.txt")
    split.write_text("a\n")
    assert mmseg_scope.check_data_root(tmp_path, prefix, ".jpg", "_instanceTrainIds.png",
                                       ann_file="val.txt") == dict(images=1, labels=1)
    split.write_text("a\nb\nc\n")
    with pytest.raises(DatasetError, match=r"1 of 3 images listed in .*val.txt are missing .*c\.jpg"):
        mmseg_scope.check_data_root(tmp_path, prefix, ".jpg", "_instanceTrainIds.png", ann_file=str(split))
