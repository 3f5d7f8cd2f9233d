"""One weights flag: every tool accepts ``--checkpoint``, the flag the missing-weights message names."""
import pytest

from proxyseg import weights as W

from .conftest import run_tool

TOOLS = ["test.py", "train.py", "sweep.py", "segment.py", "make_pseudo_labels.py", "benchmark.py"]


@pytest.mark.parametrize("tool", TOOLS)
def test_every_tool_accepts_checkpoint(tool):
    p = run_tool(f"tools/{tool}", "--help", timeout=120)
    assert p.returncode == 0, p.stderr
    assert "--checkpoint" in p.stdout


def test_missing_weights_message_names_that_flag(tmp_path):
    with W.weights_dir(tmp_path):
        msg = str(W.missing("vit_base_patch8_224.dino", ["vit_base_patch8_224.dino"], "timm/x"))
    assert "--checkpoint PATH" in msg and str(tmp_path / "vit_base_patch8_224.dino") in msg
