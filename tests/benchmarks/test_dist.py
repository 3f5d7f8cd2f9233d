"""tools/dist_test.sh: 2 CPU processes (gloo) give exactly the single-process metrics."""
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SMOKE = REPO / "configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def synthetic_coco_object(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic_dist")
    r = subprocess.run([sys.executable, str(REPO / "tools/make_synthetic_data.py"), "--out", str(out), "--num", "5"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return out / "coco_object"


def _run(cmd, env_extra=None):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHON=sys.executable, PORT=str(_free_port()))
    env.update(env_extra or {})
    r = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, (r.stdout[-2000:], r.stderr[-4000:])
    return r


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_two_cpu_processes_equal_single_process(synthetic_coco_object, tmp_path):
    common = ["--data-root", str(synthetic_coco_object), "--device", "cpu", "--cfg-options", "model.prob_thd=0.2"]
    _run([sys.executable, "tools/test.py", str(SMOKE), "--work-dir", str(tmp_path / "single"), *common])
    r = _run(["bash", "tools/dist_test.sh", str(SMOKE), "2", "--work-dir", str(tmp_path / "dist"), *common])
    single = json.loads((tmp_path / "single/results.json").read_text())
    dist = json.loads((tmp_path / "dist/results.json").read_text())
    assert single["world_size"] == 1 and dist["world_size"] == 2
    assert dist["images"] == single["images"] == 5  # the sampler's padding is not counted twice
    for key in ("mIoU", "aAcc", "mAcc", "per_class", "num_classes"):
        assert dist[key] == single[key], key
    assert dist["params"]["prob_thd"] == 0.2  # the user's --cfg-options survive the CPU wrapper options
    assert "mIoU" in r.stdout + r.stderr


def test_usage_errors():
    r = subprocess.run(["bash", "tools/dist_test.sh", str(SMOKE)], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 2 and "usage" in r.stderr
    r = subprocess.run(["bash", "tools/dist_test.sh", str(SMOKE), "two"], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 2 and "positive integer" in r.stderr
