"""The benchmark harness: every JSON field, the refusal rule, the CLI (tiny models, 1 image, 1 repeat)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from proxyseg.benchmarks import bench

REPO = Path(__file__).resolve().parents[2]
PATH_FIELDS = {"path", "dtype", "window_batch", "windows_per_image", "images", "repeats", "startup", "seconds",
               "images_per_s", "windows_per_s", "e2e_images_per_s", "logits_s_per_image", "postprocess_s_per_image",
               "memory", "hook_count", "flops", "amp_clip", "dino_attention"}
STATS = {"median", "min", "max", "q1", "q3", "n"}


def _cfg(tmp_path, **kw):
    base = dict(model="tiny", images=1, repeats=1, warmup=1, size=(64, 96), crop=64, stride=32,
                classes=["cat; kitty", "dog", "sky"], templates="a_photo", isolate=False, out=str(tmp_path))
    base.update(kw)
    return bench.BenchConfig(**base)


def _check_result(res, names):
    assert set(res) >= {"meta", "config", "templates", "changes_results", "check", "speedup", "refused_reason",
                        "paths", "flops"}
    assert set(res["meta"]) >= {"date", "command", "host"}
    assert set(res["meta"]["host"]) >= {"cpu", "cpu_cores", "torch_threads", "torch", "python"}
    assert set(res["paths"]) == set(names)
    for p in res["paths"].values():
        assert set(p) >= PATH_FIELDS
        for key in ("images_per_s", "windows_per_s", "e2e_images_per_s"):
            assert set(p[key]) == STATS and p[key]["min"] <= p[key]["median"] <= p[key]["max"]
        assert set(p["memory"]) >= {"kind", "peak_mb", "delta_mb", "base_mb"} and p["memory"]["peak_mb"] > 0
        assert set(p["seconds"]) == {"logits", "postprocess"}
        assert p["windows_per_image"] == 2  # 64x96 image, 64 crop, stride 32: 1 row x 2 columns
    assert res["paths"]["reference"]["window_batch"] == 1 and res["paths"]["reference"]["hook_count"] > 0
    assert "text_s" in res["paths"]["reference"]["startup"]
    assert set(res["check"]) >= {"max_abs_diff", "argmax_agreement", "passed", "rule", "atol", "min_agreement"}


def test_in_process_fp32_json_and_markdown(tmp_path):
    cfg = _cfg(tmp_path, reference_sdpa=True)
    res = bench.run_benchmark(cfg)
    _check_result(res, ["proxyseg", "reference", "reference_sdpa"])
    assert res["check"]["passed"] and res["check"]["max_abs_diff"] <= 1e-4
    assert res["check"]["argmax_agreement"] == 100.0
    assert res["paths"]["proxyseg"]["window_batch"] == 2  # auto on CPU: every window of the image
    s = res["speedup"]["vs_reference"]
    assert set(s) == {"images_per_s", "e2e", "peak_memory_ratio"} and s["images_per_s"] > 0
    assert res["changes_results"]  # 64/32 is not the published 336/112 schedule
    out = bench.write_report(res, tmp_path)
    data = json.loads((out / "benchmark.json").read_text())
    assert data["paths"]["proxyseg"]["images_per_s"]["median"] > 0
    md = (out / "benchmark.md").read_text()
    assert "| proxyseg |" in md and "| reference |" in md and "PASS" in md and "CHANGES RESULTS" in md


def test_bf16_reports_agreement_and_fp32_check(tmp_path):
    res = bench.run_benchmark(_cfg(tmp_path, dtype="bf16", window_batch="2", min_agreement=90.0))
    c = res["check"]
    assert c["fp32_max_abs_diff"] <= 1e-4 and c["argmax_agreement"] >= 90.0 and c["passed"]
    assert res["paths"]["proxyseg"]["window_batch"] == 2 and res["paths"]["reference"]["dtype"] == "fp32"


def test_refuses_speedup_when_outputs_differ(tmp_path):
    res = bench.run_benchmark(_cfg(tmp_path, atol=-1.0))
    assert not res["check"]["passed"]
    assert res["speedup"] == {"vs_reference": None} and "no speed-up" in res["refused_reason"]
    assert "REFUSED" in bench.markdown_report(res)


def test_cli_isolated_workers_json_only(tmp_path):
    out = tmp_path / "cli"
    r = subprocess.run([sys.executable, "tools/benchmark.py", "--images", "1", "--repeats", "1", "--size", "64x64",
                        "--crop", "64", "--templates", "a_photo", "--classes",
                        str(REPO / "configs/_base_/class_names/voc21.txt"), "--out", str(out), "--json-only",
                        "--threads", "1"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout)
    assert res["check"]["passed"] and res["paths"]["proxyseg"]["memory"]["kind"].startswith("cpu_peak_rss")
    assert (out / "benchmark.json").is_file() and not (out / "benchmark.md").exists()
    assert res["meta"]["host"]["torch_threads"] == 1


def test_cli_usage_errors(tmp_path):
    for argv in (["--size", "12"], ["--window-batch", "0"], ["--stride", "400"], ["--dtype", "int8"]):
        with pytest.raises(SystemExit) as e:
            bench.parse_args(argv)
        assert e.value.code == 2
    from proxyseg.errors import UsageError

    with pytest.raises(UsageError, match="fp16"):
        bench.run_benchmark(_cfg(tmp_path, dtype="fp16"))


def test_flops_formula_and_gpu_peaks():
    # one ViT-B block on 197 tokens: 24NC^2 + 4N^2C with H = 4C
    n, c = 197, 768
    assert bench._vit_flops(n, c, 4 * c, 1) == 24 * n * c * c + 4 * n * n * c
    assert bench.bf16_peak_tflops("NVIDIA H100 80GB HBM3") == 989.0
    assert bench.bf16_peak_tflops("NVIDIA H200") == 989.0
    assert bench.bf16_peak_tflops("NVIDIA H100 PCIe") == 756.0
    assert bench.bf16_peak_tflops("Some Future GPU") is None
