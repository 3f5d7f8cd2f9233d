#!/usr/bin/env bash
# One-command install of proxyseg into a virtual environment (default: ./.venv).
#
#   bash install.sh            # creates/updates ./.venv, installs everything, incl. test deps
#   PROXYSEG_VENV=/path bash install.sh
#   PROXYSEG_NO_BROWSER=1 bash install.sh   # skip Debian chromium (browser test then skips)
#
# Route (measured on 2 cores, Python 3.11): torch 2.9.1 + torchvision 0.24.1, then mmcv 2.1.0
# compiled from source against that exact torch (newer torch needs C++20, which mmcv 2.1.0's
# build does not use), then mmsegmentation/open_clip/timm pinned. pip caches the compiled mmcv
# wheel, so a second install takes a minute.
set -euo pipefail
cd "$(dirname "$0")"
VENV=${PROXYSEG_VENV:-.venv}
PY=${PYTHON:-python3}

if [ ! -x "$VENV/bin/python" ]; then
  echo "[install] creating virtual environment $VENV"
  "$PY" -m venv "$VENV"
fi
# shellcheck disable=SC1091
. "$VENV/bin/activate"
pip_i() { python -m pip install --disable-pip-version-check "$@"; }

echo "[install] torch"
pip_i -q torch==2.9.1 torchvision==0.24.1
echo "[install] build tools + mmengine"
pip_i -q "setuptools<70" wheel ninja mmengine==0.10.7
if ! python -c "import mmcv, mmcv._ext" 2>/dev/null; then
  echo "[install] mmcv 2.1.0 with ops (compiles from source the first time: ~5 min on 2 cores)"
  MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-2} pip_i -q --no-build-isolation mmcv==2.1.0
fi
echo "[install] proxyseg + pinned dependencies"
pip_i -q -e ".[mmseg,web,dev,diffusion,data]"

if [ "${PROXYSEG_NO_BROWSER:-0}" != "1" ] && ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    echo "[install] Debian chromium + chromium-driver for the browser test"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
      || echo "[install] WARNING: chromium could not be installed; the browser test will be skipped"
  else
    echo "[install] NOTE: chromium not found and apt-get unavailable; the browser test will be skipped"
  fi
fi
python -c "import proxyseg, mmseg, mmcv, open_clip, timm; print('[install] ok: proxyseg', proxyseg.__version__, '| mmseg', mmseg.__version__, '| mmcv', mmcv.__version__, '| open_clip', open_clip.__version__, '| timm', timm.__version__)"
echo "[install] done. Activate with: . $VENV/bin/activate"
