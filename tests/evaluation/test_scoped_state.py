"""Two evaluations in one process: each sees only its own weights folder and device; nothing is
left in ``os.environ``."""
import os

import pytest

from proxyseg import weights as W
from proxyseg.errors import WeightsNotFoundError

from .conftest import REPO, SMOKE_OBJ  # noqa: F401

REAL = REPO / "configs/proxyclip/proxyclip_vit-b16_dino-b8_coco-object.py"


def test_weights_dir_is_scoped(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    with W.weights_dir(a):
        assert W.search_dirs()[0] == a
        with W.weights_dir(b):
            assert W.search_dirs()[0] == b and a not in W.search_dirs()
        assert W.search_dirs()[0] == a
    assert a not in W.search_dirs() and W.scoped_weights_dir() is None


def test_two_cells_see_only_their_own_weights_and_device(synthetic_root, tmp_path, monkeypatch):
    from proxyseg.apis import evaluate

    monkeypatch.setenv("PROXYSEG_OFFLINE", "1")
    monkeypatch.delenv("PROXYSEG_WEIGHTS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    env_before = dict(os.environ)
    a, b = tmp_path / "weights_a", tmp_path / "weights_b"
    a.mkdir(), b.mkdir()
    root = synthetic_root / "coco_object"
    with pytest.raises(WeightsNotFoundError) as e1:
        evaluate(str(REAL), data_root=str(root), checkpoint=str(a), work_dir=str(tmp_path / "w1"), device="cpu")
    with pytest.raises(WeightsNotFoundError) as e2:
        evaluate(str(REAL), data_root=str(root), checkpoint=str(b), work_dir=str(tmp_path / "w2"), device="auto")
    assert str(a) in str(e1.value) and str(b) not in str(e1.value)
    assert str(b) in str(e2.value) and str(a) not in str(e2.value)
    # a real run after both: still no weights folder in scope, and the device is its own
    res = evaluate(str(SMOKE_OBJ), data_root=str(root), work_dir=str(tmp_path / "w3"), device="cpu", limit=1,
                   progress=False)
    assert res["device"] == "cpu" and res["images"] == 1
    assert W.scoped_weights_dir() is None
    for key in ("PROXYSEG_WEIGHTS", "CUDA_VISIBLE_DEVICES"):  # (libraries' own imports may add others)
        assert os.environ.get(key) == env_before.get(key), key


def test_results_labels_come_from_the_built_model(synthetic_root, tmp_path):
    """method / VFM in results.json are what the model was built with (here: overridden)."""
    from proxyseg.apis import evaluate

    res = evaluate(str(SMOKE_OBJ), data_root=str(synthetic_root / "coco_object"), work_dir=str(tmp_path), device="cpu",
                   limit=1, progress=False, cfg_options=["model.method=maskclip", "model.feature_adjust=True"])
    assert res["method"] == "maskclip+feature_adjust" and res["vfm"] == "-"
    res = evaluate(str(SMOKE_OBJ), data_root=str(synthetic_root / "coco_object"), work_dir=str(tmp_path), device="cpu",
                   limit=1, progress=False)
    assert res["method"] == "proxyclip" and res["vfm"].startswith("dino-")
