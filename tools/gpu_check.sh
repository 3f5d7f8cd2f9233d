#!/usr/bin/env bash
# GPU check (< 10 minutes): proxyseg's inference path vs the upstream-style loop on CUDA with
# ViT-B/16 CLIP + DINO ViT-B/8 sized random models (no weights, no downloads), 336 windows.
#
#   bash tools/gpu_check.sh                     # writes $OUT (or work_dirs/gpu_check)
#   IMAGES=8 REPEATS=5 bash tools/gpu_check.sh  # more images
#
# Needs only torch (CUDA), timm, open_clip and ftfy: the repo is put on PYTHONPATH, not installed,
# and nothing imports mmseg/mmcv/mmengine. Three benchmarks, each with its own logits check:
#   fp32       proxyseg fp32 vs the reference loop (fp32; and with SDPA in DINO: loop overhead only)
#   bf16       proxyseg bf16 autocast on the VFM (CLIP fp32) vs reference fp32 and upstream's fp16 (.half())
#   bf16_clip  proxyseg bf16 autocast on VFM + CLIP vs reference fp32
# then gpu_check.json / gpu_check.md: device name, images/s, speed-ups, argmax agreement and the
# achieved FLOP/s as a fraction of the card's dense bf16 peak (H100 SXM / H200: 989 TFLOP/s).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PROXYSEG_OFFLINE=1 HF_HUB_OFFLINE=1
PYTHON=${PYTHON:-python}
OUT=${OUT:-work_dirs/gpu_check}
IMAGES=${IMAGES:-4}
SIZE=${SIZE:-336x672}        # 4 windows of 336 (stride 112) per image
REPEATS=${REPEATS:-5}
LIMIT=${LIMIT:-170}          # seconds per benchmark (3 of them: the whole check stays under 10 min)
DEVICE=${DEVICE:-cuda}       # DEVICE=cpu MODEL=tiny: a dry run of this script without a GPU
MODEL=${MODEL:-vit-b}
mkdir -p "$OUT"

"$PYTHON" - "$DEVICE" <<'PY' || exit 2
import sys
import torch
missing = []
for mod in ("timm", "open_clip", "ftfy"):
    try:
        __import__(mod)
    except ImportError:
        missing.append(mod)
if missing:
    sys.exit(f"error: missing packages: {', '.join(missing)} (pip install {' '.join(missing)})")
if sys.argv[1] == "cpu":
    print(f"device: cpu (dry run) | torch {torch.__version__}")
elif not torch.cuda.is_available():
    sys.exit("error: no CUDA GPU visible to torch; this check needs one (CPU numbers: docs/benchmarks.md)")
else:
    print(f"device: {torch.cuda.get_device_name(0)} | torch {torch.__version__} | CUDA {torch.version.cuda}")
PY

STATUS=0
run() {
    local name=$1
    shift
    echo "== $name: $*"
    timeout "$LIMIT" "$PYTHON" tools/benchmark.py --device "$DEVICE" --model "$MODEL" --images "$IMAGES" --size "$SIZE" \
        --repeats "$REPEATS" --out "$OUT/$name" "$@" 2>&1 | grep -v "No pretrained weights" | tee "$OUT/$name.log"
    local rc=${PIPESTATUS[0]}
    if [ "$rc" != 0 ]; then
        echo "!! $name exited with $rc (124: over ${LIMIT}s; 1: logits check failed)"
        STATUS=1
    fi
}

run fp32 --dtype fp32 --reference-sdpa
if [ "$DEVICE" = cpu ]; then
    run bf16 --dtype bf16 --min-agreement 95
else
    run bf16 --dtype bf16 --reference-dtype fp16
fi
run bf16_clip --dtype bf16 --amp-clip $([ "$DEVICE" = cpu ] && echo --min-agreement 95)

"$PYTHON" - "$OUT" <<'PY'
import json, sys
from pathlib import Path

out = Path(sys.argv[1])
runs = {}
for name in ("fp32", "bf16", "bf16_clip"):
    f = out / name / "benchmark.json"
    if f.is_file():
        runs[name] = json.loads(f.read_text())
if not runs:
    sys.exit("no benchmark.json written")
first = next(iter(runs.values()))
host = dict(first["meta"]["host"])
host.setdefault("gpu", f"CPU {host.get('cpu')} (dry run)")
summary = dict(device=host.get("gpu"), torch=host.get("torch"), cuda=host.get("cuda"), date=first["meta"]["date"],
               runs={})
lines = [f"# GPU check: {host.get('gpu')} ({first['meta']['date']})", "",
         f"torch {host.get('torch')}, CUDA {host.get('cuda')}; ViT-B/16 CLIP + DINO ViT-B/8 sized random models, "
         f"{first['config']['images']} images of {first['config']['size'][0]}x{first['config']['size'][1]}, "
         f"336 windows, stride 112, {first['config']['repeats']} repeats", "",
         "| run | proxyseg images/s | reference images/s | speed-up | check | argmax agreement | max logit diff "
         "| TFLOP/s | % of bf16 peak |", "|---|---|---|---|---|---|---|---|---|"]
for name, r in runs.items():
    fast = r["paths"]["proxyseg"]["images_per_s"]["median"]
    refs = {k: v["images_per_s"]["median"] for k, v in r["paths"].items() if k != "proxyseg"}
    fl = (r.get("flops") or {}).get("paths", {}).get("proxyseg", {})
    sp = {k: (v or {}).get("images_per_s") for k, v in r["speedup"].items()}
    summary["runs"][name] = dict(dtype=r["config"]["dtype"], amp_clip=r["config"].get("amp_clip"),
                                 proxyseg_images_per_s=fast, reference_images_per_s=refs, speedup=sp,
                                 check=r["check"], achieved_tflops=fl.get("achieved_tflops"),
                                 fraction_of_bf16_peak=fl.get("fraction_of_bf16_peak"),
                                 bf16_peak_tflops=(r.get("flops") or {}).get("bf16_peak_tflops"))
    sp_txt = ", ".join(f"{v:.2f}x {k[3:]}" for k, v in sp.items() if v) or "refused"
    ref_txt = ", ".join(f"{k} {v:.2f}" for k, v in refs.items())
    frac = fl.get("fraction_of_bf16_peak")
    lines.append(f"| {name} | {fast:.2f} | {ref_txt} | {sp_txt} | {'PASS' if r['check']['passed'] else 'FAIL'} | "
                 f"{r['check']['argmax_agreement']:.3f}% | {r['check']['max_abs_diff']:.2e} | "
                 f"{fl.get('achieved_tflops', 0):.1f} | {'' if frac is None else f'{100 * frac:.1f}%'} |")
(out / "gpu_check.json").write_text(json.dumps(summary, indent=2))
(out / "gpu_check.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
print(f"wrote {out / 'gpu_check.json'} and {out / 'gpu_check.md'}")
PY
exit $STATUS
