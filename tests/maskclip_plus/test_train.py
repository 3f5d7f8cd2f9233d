"""Student training with tools/train.py on cached pseudo-labels: loss drops, checkpoints, resume,
evaluation of the checkpoint."""
import json
import textwrap
from pathlib import Path

import pytest

from .conftest import SMOKE_STUDENT, SMOKE_TEACHER, tool


@pytest.fixture(scope="module")
def labelled_root(stuff_root):
    """The synthetic data with the smoke teacher's pseudo-labels (every pixel labelled)."""
    main = tool("make_pseudo_labels")["main"]
    assert main([str(SMOKE_TEACHER), "--data-root", str(stuff_root), "--device", "cpu", "--thd", "0",
                 "--no-progress"]) == 0
    return stuff_root


@pytest.fixture(scope="module")
def one_image_cfg(tmp_path_factory):
    """The smoke student on one training image without random augmentation, so the loss of a
    few steps must go down (same batch every step)."""
    path = tmp_path_factory.mktemp("cfg") / "one_image.py"
    path.write_text(textwrap.dedent(f"""\
        _base_ = [{str(SMOKE_STUDENT)!r}]
        train_dataloader = dict(dataset=dict(indices=1, pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations'),
            dict(type='Resize', scale=(64, 64), keep_ratio=False),
            dict(type='PackSegInputs'),
        ]))
        """))
    return path


def scalars(log_dir) -> list:
    """Per-iteration training scalars (``vis_data/scalars.json`` of a run)."""
    lines = (Path(log_dir) / "vis_data" / "scalars.json").read_text().splitlines()
    return [d for d in map(json.loads, lines) if "loss" in d]


@pytest.fixture(scope="module")
def trained(labelled_root, one_image_cfg, tmp_path_factory):
    """8 iterations (batch 2, crop 64) + --test evaluation; returns (runner, work_dir)."""
    work = tmp_path_factory.mktemp("work")
    runner = tool("train")["train"]([str(one_image_cfg), "--data-root", str(labelled_root), "--work-dir", str(work),
                                     "--device", "cpu", "--test"])
    return runner, work


def test_loss_drops_and_checkpoints_are_written(trained):
    runner, work = trained
    assert runner.iter == 8
    logs = scalars(runner.log_dir)
    assert [d["iter"] for d in logs] == list(range(1, 9))
    assert logs[-1]["loss"] < logs[0]["loss"] - 0.05, [d["loss"] for d in logs]
    assert (work / "iter_4.pth").is_file() and (work / "iter_8.pth").is_file()
    assert (work / "last_checkpoint").read_text().strip().endswith("iter_8.pth")


def test_test_after_training_writes_results(trained):
    runner, work = trained
    res = json.loads((work / "results.json").read_text())
    assert 0 <= res["mIoU"] <= 100 and res["images"] == 4 and res["iters"] == 8
    assert res["dataset"] == "COCOStuffDataset" and res["num_classes"] == 171
    assert (Path(runner.log_dir) / "results.json").is_file()


def test_resume_continues_at_the_right_iteration(trained, labelled_root, one_image_cfg, tmp_path):
    """From iter_4.pth: iterations 5..8 run again and reproduce the first run's losses."""
    first_runner, work = trained
    first = {d["iter"]: d["loss"] for d in scalars(first_runner.log_dir)}
    runner = tool("train")["train"]([str(one_image_cfg), "--data-root", str(labelled_root), "--work-dir",
                                     str(tmp_path), "--device", "cpu", "--resume", str(work / "iter_4.pth")])
    assert runner.iter == 8
    logs = scalars(runner.log_dir)
    assert [d["iter"] for d in logs] == [5, 6, 7, 8]
    for d in logs:
        assert d["loss"] == pytest.approx(first[d["iter"]], rel=1e-3)
    assert (tmp_path / "iter_8.pth").is_file() and not (tmp_path / "iter_4.pth").exists()


def test_tools_test_evaluates_the_checkpoint(trained, labelled_root, tmp_path):
    from proxyseg.cli import run_main

    _, work = trained
    main = tool("test")["main"]
    rc = run_main(main, [str(SMOKE_STUDENT), "--data-root", str(labelled_root), "--work-dir", str(tmp_path),
                         "--device", "cpu", "--checkpoint", str(work / "iter_8.pth"), "--debug"])
    assert rc == 0
    res = json.loads((tmp_path / "results.json").read_text())
    assert 0 <= res["mIoU"] <= 100 and res["images"] == 4
    ours = json.loads((work / "results.json").read_text())
    assert res["mIoU"] == pytest.approx(ours["mIoU"], abs=0.01)


def test_amp_on_cpu_is_a_usage_error(labelled_root, tmp_path):
    from proxyseg.errors import UsageError

    with pytest.raises(UsageError, match="--amp needs a CUDA GPU"):
        tool("train")["train"]([str(SMOKE_STUDENT), "--data-root", str(labelled_root), "--work-dir", str(tmp_path),
                                "--device", "cpu", "--amp"])


def test_missing_pseudo_labels_say_what_to_run(stuff_root, tmp_path):
    from proxyseg.errors import DatasetError

    with pytest.raises(DatasetError, match="make_pseudo_labels.py"):
        tool("train")["train"]([str(SMOKE_STUDENT), "--data-root", str(stuff_root), "--work-dir", str(tmp_path),
                                "--device", "cpu", "--cfg-options",
                                "train_dataloader.dataset.data_prefix.seg_map_path=pseudo_labels/none",
                                "train_dataloader.dataset.ann_file=pseudo_labels/none/labelled.txt"])


def test_self_training_round_student_as_teacher(trained, labelled_root, tmp_path):
    """The trained student relabels the training images (MaskCLIP+'s self-training round)."""
    import numpy as np
    from PIL import Image

    main = tool("make_pseudo_labels")["main"]
    _, work = trained
    out = tmp_path / "round2"
    assert main([str(SMOKE_STUDENT), "--checkpoint", str(work / "iter_8.pth"), "--out", str(out),
                 "--data-root", str(labelled_root), "--device", "cpu", "--thd", "0.02", "--no-progress"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["images"] == 4 and summary["model"].startswith("EncoderDecoder:ResNetV1c18")
    assert summary["checkpoint"].endswith("iter_8.pth")
    for p in out.glob("*_labelTrainIds.png"):
        lab = np.asarray(Image.open(p))
        assert ((lab < 171) | (lab == 255)).all()
    # a trainable teacher without weights is refused with the fix in the message
    from proxyseg.errors import CheckpointError

    with pytest.raises(CheckpointError, match="--checkpoint"):
        main([str(SMOKE_STUDENT), "--out", str(tmp_path / "x"), "--data-root", str(labelled_root), "--device", "cpu"])
