#!/usr/bin/env bash
# One-command install of proxyseg into a virtual environment (default: ./.venv).
#
#   bash install.sh            # creates/updates ./.venv, installs everything, incl. test deps
#   PROXYSEG_VENV=/path bash install.sh
#   PROXYSEG_NO_BROWSER=1 bash install.sh   # skip Debian chromium (browser test then skips)
#
# Route (Python 3.11): torch 2.9.1 + torchvision 0.24.1, then mmcv 2.1.0 compiled from source
# against that exact torch (newer torch needs C++20, which mmcv 2.1.0's build does not use), then
# mmsegmentation/open_clip/timm pinned. pip caches the compiled mmcv wheel, so a second install
# takes a minute. First-install time and venv size: README.md, "Install".
set -euo pipefail
cd "$(dirname "$0")"
VENV=${PROXYSEG_VENV:-.venv}
PY=${PYTHON:-python3}
LOGDIR=$(mktemp -d)
trap 'rm -rf "$LOGDIR"' EXIT

if [ ! -x "$VENV/bin/python" ]; then
  echo "[install] creating virtual environment $VENV"
  "$PY" -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
pip_i() { python -m pip install --disable-pip-version-check "$@"; }

# Debian chromium (browser test) is independent of Python: fetch it in the background while pip
# and the mmcv compiler run, and wait for it at the end.
APT_PID=""
if [ "${PROXYSEG_NO_BROWSER:-0}" != "1" ] && ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    echo "[install] Debian chromium + chromium-driver for the browser test (in the background)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) \
      >"$LOGDIR/apt.log" 2>&1 &
    APT_PID=$!
  else
    echo "[install] NOTE: chromium not found and apt-get unavailable; the browser test will be skipped"
  fi
fi

echo "[install] torch"
pip_i -q torch==2.9.1 torchvision==0.24.1
echo "[install] build tools + mmengine"
pip_i -q "setuptools<70" wheel ninja mmengine==0.10.7

DEPS_PID=""
if ! python -c "import mmcv, mmcv._ext" 2>/dev/null; then
  # Everything but mmcv installs in the background while mmcv compiles (the two sets share no
  # package left to install: mmcv's own requirements came with mmengine above). mmcv itself is
  # not in this list, so the background pip never starts a second mmcv build.
  echo "[install] proxyseg's other dependencies (in the background)"
  pip_i -q -e ".[web,dev,diffusion,data]" mmsegmentation==1.2.2 >"$LOGDIR/deps.log" 2>&1 &
  DEPS_PID=$!
  # Why these flags: proxyseg imports mmcv's compiled ops (mmseg needs `mmcv._ext` to import)
  # but never runs one of them, so the build only has to exist. CPU-only (FORCE_CUDA=0 and no
  # visible GPU, so an installed nvcc is not used: no CUDA kernels to compile), no debug info and
  # -O1 (about 3x faster per file than the default -O3 -g; CFLAGS lands after Python's own
  # flags, and torch's ninja build passes it to every C++ file), on all cores.
  echo "[install] mmcv 2.1.0 with CPU ops (compiles from source the first time; see README for the time)"
  MMCV_WITH_OPS=1 FORCE_CUDA=0 CUDA_VISIBLE_DEVICES="" MAX_JOBS=${MAX_JOBS:-$(nproc)} \
    CFLAGS="-O1 -g0" CXXFLAGS="-O1 -g0" \
    pip_i -q --no-build-isolation mmcv==2.1.0
fi
if [ -n "$DEPS_PID" ] && ! wait "$DEPS_PID"; then
  cat "$LOGDIR/deps.log" >&2
  echo "[install] ERROR: installing proxyseg's dependencies failed (log above)" >&2
  exit 1
fi
echo "[install] proxyseg + pinned dependencies"
pip_i -q -e ".[mmseg,web,dev,diffusion,data]"

if [ -n "$APT_PID" ] && ! wait "$APT_PID"; then
  tail -5 "$LOGDIR/apt.log" >&2 || true
  echo "[install] WARNING: chromium could not be installed; the browser test will be skipped"
fi
python -c "import proxyseg, mmseg, mmcv, open_clip, timm; print('[install] ok: proxyseg', proxyseg.__version__, '| mmseg', mmseg.__version__, '| mmcv', mmcv.__version__, '| open_clip', open_clip.__version__, '| timm', timm.__version__)"
echo "[install] done. Activate with: . $VENV/bin/activate"
