"""A single evaluation killed with SIGKILL resumes and gives exactly the uninterrupted numbers;
anything that changes the numbers starts fresh and says which part changed."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from .conftest import REPO, SMOKE_OBJ, run_tool


def _cmd(root, wd):
    return [sys.executable, "tools/test.py", str(SMOKE_OBJ), "--data-root", str(root), "--work-dir", str(wd),
            "--device", "cpu", "--no-progress", "--cfg-options", "test_evaluator.resume_chunk=1"]


@pytest.mark.slow
def test_kill_9_then_resume_gives_the_same_miou(synthetic_root, tmp_path):
    root = synthetic_root / "coco_object"
    ref = subprocess.run(_cmd(root, tmp_path / "ref"), cwd=REPO, capture_output=True, text=True, timeout=300)
    assert ref.returncode == 0, ref.stderr
    wd = tmp_path / "wd"
    proc = subprocess.Popen(_cmd(root, wd), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = wd / "resume" / "chunk_000000.pt"
    t0 = time.time()
    while not first.exists() and proc.poll() is None and time.time() - t0 < 300:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list((wd / "resume").glob("chunk_*.pt")))
    assert 1 <= done < 4 and not (wd / "results.json").exists(), done
    again = subprocess.run(_cmd(root, wd), cwd=REPO, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"resume: {done} image(s) already counted" in again.stderr
    a, b = (json.loads((d / "results.json").read_text()) for d in (tmp_path / "ref", wd))
    assert b["images"] == a["images"] == 4
    assert (b["mIoU"], b["aAcc"], b["mAcc"], b["per_class"]) == (a["mIoU"], a["aAcc"], a["mAcc"], a["per_class"])
    assert not (wd / "resume").exists()  # a finished run leaves no state behind


def test_every_component_of_the_key_changes(synthetic_root, tmp_path, monkeypatch):
    import shutil

    from mmengine.config import Config

    from proxyseg.apis import run_key as K

    root = tmp_path / "data"
    shutil.copytree(synthetic_root / "coco_object", root)
    weights = tmp_path / "weights"
    weights.mkdir()

    def key(**over):
        cfg = Config.fromfile(str(SMOKE_OBJ), import_custom_modules=False)
        cfg.test_dataloader.dataset.data_root = str(root)
        cfg.merge_from_dict(over)
        return K.run_key(cfg, weights_folder=weights)

    base = key()
    assert key() == base
    assert key(**{"model.prob_thd": 0.3})["config"] != base["config"]
    assert key(**{"randomness.seed": 1})["seed"] != base["seed"]
    assert key(**{"model.amp": "bf16"})["amp"] != base["amp"]
    assert key(**{"test_dataloader.dataset.indices": 2})["limit"] != base["limit"]
    assert key(**{"work_dir": "elsewhere", "experiment_name": "x"}) == base  # where files go: same numbers
    (weights / "vit_base_patch8_224.dino.safetensors").write_bytes(b"0")
    assert key()["weights"] != base["weights"]
    img = next((root / "images" / "val2017").iterdir())
    img.write_bytes(img.read_bytes() + b"\0")
    assert key()["data"] != base["data"]
    code = tmp_path / "code"
    shutil.copytree(K.PACKAGE, code)
    monkeypatch.setattr(K, "PACKAGE", code)
    same = K.code_digest()
    (code / "ops" / "slide.py").write_text((code / "ops" / "slide.py").read_text() + "\n# changed\n")
    assert K.code_digest() != same


def test_changed_key_starts_fresh_and_says_which(tmp_path):
    from proxyseg.mmseg import resume as R

    key = dict(config="a", data="d", weights="w", code="c", seed="0", amp="None", limit="None")
    assert R.prepare(tmp_path, key) == (0, [])
    R.save_chunk(R.state_dir(tmp_path), 0, [tuple(__import__("torch").ones(3) for _ in range(4))])
    assert R.prepare(tmp_path, key) == (1, [])
    assert R.prepare(tmp_path, dict(key, data="other", seed="1")) == (0, ["data", "seed"])
    assert not list(R.state_dir(tmp_path).glob("chunk_*.pt"))
