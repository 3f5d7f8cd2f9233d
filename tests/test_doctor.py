"""``python -m proxyseg doctor [CONFIG]`` (issue 16.9): report lines and exit codes."""
from pathlib import Path

import pytest

from proxyseg.__main__ import main

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "configs" / "smoke" / "proxyclip_tiny_dino_smoke-coco-object.py"
REAL = REPO / "configs" / "proxyclip" / "proxyclip_vit-b16_dino-b8_coco-object.py"


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """cwd and weight folders in tmp: nothing found unless a test puts it there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PROXYSEG_WEIGHTS", str(tmp_path / "w"))
    monkeypatch.setenv("PROXYSEG_OFFLINE", "1")
    (tmp_path / "w").mkdir()
    return tmp_path


def lines(capsys):
    return capsys.readouterr().out.splitlines()


def test_report_without_config(isolated, capsys):
    assert main(["doctor"]) == 0  # no config: a report, never a failure
    out = lines(capsys)
    text = "\n".join(out)
    for name in ("torch", "mmcv", "mmseg", "mmengine", "open_clip", "timm", "mmcv ops", "device", "cpu bf16"):
        assert any(line[10:].startswith(name) for line in out), name
    assert "[MISSING] weights CLIP ViT-B-16 (openai)" in text
    assert "expected vit_base_patch8_224.dino.safetensors (or .pth) in a weights dir" in text
    assert "[MISSING] dataset coco_object" in text and "data/coco_object/images/val2017 not found" in text


def test_smoke_config_ready_only_with_its_data(isolated, capsys):
    assert main(["doctor", str(SMOKE)]) == 1
    out = "\n".join(lines(capsys))
    assert "[  ok   ] config proxyclip_tiny_dino_smoke-coco-object.py: weights" in out  # random weights
    assert "[MISSING] config proxyclip_tiny_dino_smoke-coco-object.py: data" in out
    assert out.endswith("NOT ready (see MISSING above)")
    (isolated / "data" / "synthetic" / "coco_object" / "images" / "val2017").mkdir(parents=True)
    assert main(["doctor", str(SMOKE)]) == 0
    assert lines(capsys)[-1].endswith(": ready")


def test_real_config_needs_its_weights(isolated, capsys):
    (isolated / "data" / "coco_object" / "images" / "val2017").mkdir(parents=True)
    assert main(["doctor", str(REAL)]) == 1
    out = "\n".join(lines(capsys))
    assert "[MISSING] config proxyclip_vit-b16_dino-b8_coco-object.py: weights" in out
    assert "weights for CLIP ViT-B-16 (openai) not found" in out
    for f in ("ViT-B-16-openai.safetensors", "vit_base_patch8_224.dino.safetensors"):
        (isolated / "w" / f).write_bytes(b"")
    assert main(["doctor", str(REAL)]) == 0
    out = "\n".join(lines(capsys))
    assert f"[  ok   ] weights VFM dino b8" in out and str(isolated / "w" / "vit_base_patch8_224.dino.safetensors") in out


def test_usage(capsys):
    assert main(["nope"]) == 2
    assert "error: unknown command 'nope'; choose one of: doctor" in capsys.readouterr().err
    assert main([]) == 2
    assert main(["doctor", "no-such-config"]) == 2
    assert "error: config 'no-such-config' not found" in capsys.readouterr().err
