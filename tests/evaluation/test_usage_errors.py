"""Usage errors are one line, exit code 2, and come before torch/mmseg are imported (< 2 s)."""
import json

import pytest

from .conftest import REPO, SMOKE_OBJ, run_py

PROBE = """
import sys
from proxyseg.cli import run_main
from proxyseg.apis.test_cli import main
rc = run_main(main, {argv!r})
heavy = sorted(m for m in ("torch", "mmseg", "mmcv", "open_clip", "timm") if m in sys.modules)
print("RESULT", rc, ",".join(heavy) or "-")
"""


def _probe(argv):
    p = run_py(PROBE.format(argv=[str(a) for a in argv]))
    line = [ln for ln in p.stdout.splitlines() if ln.startswith("RESULT")]
    assert line, p.stdout + p.stderr
    _, rc, heavy = line[-1].split()
    return int(rc), heavy, p.stderr.strip()


def test_missing_config_without_heavy_imports(tmp_path):
    rc, heavy, err = _probe([tmp_path / "missing.py"])
    assert rc == 2 and heavy == "-", (heavy, err)
    assert err.count("\n") == 0 and err.startswith("error: config") and "not found" in err


def test_misspelt_config_name_gets_a_suggestion():
    rc, heavy, err = _probe(["configs/smoke/proxyclip_tiny_dino_smoke-coco-objec.py"])
    assert rc == 2 and heavy == "-"
    assert "did you mean configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py" in err


@pytest.mark.parametrize("extra,msg", [
    (["--limit", "0"], "--limit must be >= 1"),
    (["--limit", "-1"], "--limit must be >= 1"),
    (["--window-batch", "0"], "--window-batch must be >= 1"),
    (["--data-root", "/nonexistent/root"], "--data-root /nonexistent/root: no such folder"),
    (["--checkpoint", "/nonexistent/w"], "--checkpoint /nonexistent/w: no such file or directory"),
    (["--cfg-options", "model.prob_thd"], "bad --cfg-options entry 'model.prob_thd': use KEY=VALUE"),
    (["--cfg-options", "model.slide_crop=[1,2"], "bad --cfg-options value"),
    (["--cfg-options", "model.prob_thdd=0.1"], "did you mean 'model.prob_thd'?"),
    (["--cfg-options", "model.vfm.archh=b16"], None),  # a registered part's dict may get new keys
    (["--cfg-options", "test_dataloder.batch_size=2"], "did you mean 'test_dataloader'?"),
    (["--cfg-options", "model.beta=-1"], "beta=-1 is outside"),
    (["--cfg-options", "model.prob_thd=1.5"], "prob_thd=1.5 is outside"),
    (["--cfg-options", "model.slide_stride=100"], "slide_stride=100 > slide_crop=64"),
])
def test_usage_errors_before_heavy_imports(extra, msg, tmp_path):
    rc, heavy, err = _probe([SMOKE_OBJ, "--work-dir", tmp_path, "--data-root", tmp_path, *extra]
                            if "--data-root" not in extra else [SMOKE_OBJ, "--work-dir", tmp_path, *extra])
    if msg is None:  # passes the usage checks: fails later (empty data root), after the heavy imports
        assert "unknown key" not in err
        return
    assert rc == 2, err
    assert heavy == "-", (heavy, err)
    assert msg in err and err.count("\n") == 0, err


def test_config_syntax_error_and_top_level_typo(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("model = dict(type='x'\n")
    rc, heavy, err = _probe([bad])
    assert rc == 2 and heavy == "-" and f"config {bad} line" in err and "syntax error" in err
    typo = tmp_path / "typo.py"
    typo.write_text(f"_base_ = [{str(SMOKE_OBJ)!r}]\ntest_evalutor = dict(type='IoUMetric')\n")
    rc, heavy, err = _probe([typo])
    assert rc == 2 and heavy == "-"
    assert "unknown top-level key 'test_evalutor'; did you mean 'test_evaluator'?" in err


def test_unknown_model_argument_in_config_file(tmp_path):
    typo = tmp_path / "typo.py"
    typo.write_text(f"_base_ = [{str(SMOKE_OBJ)!r}]\nmodel = dict(prob_thrd=0.3)\n")
    rc, heavy, err = _probe([typo])
    assert rc == 2 and heavy == "-" and "model.prob_thrd is not an argument" in err and "model.prob_thd" in err


def test_segmentor_keys_match_the_real_signature():
    """The ast-read argument list equals what the built segmentor accepts (a new argument there
    shows up here without importing torch)."""
    import inspect

    from proxyseg.apis.usage import segmentor_keys
    from proxyseg.models.open_vocab import OpenVocabSegmenter

    real = set(inspect.signature(OpenVocabSegmenter.__init__).parameters) - {"self", "classes", "kwargs"}
    assert real - {"clip_model", "tokenizer", "vfm", "method"} <= segmentor_keys()
