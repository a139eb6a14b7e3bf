#!/usr/bin/env bash
# One set-up path for a fresh machine (idempotent: a second run takes seconds).
#
#   bash tools/setup_env.sh            # creates/reuses ./.venv
#   VENV=/path/to/venv bash tools/setup_env.sh
#
# 1. create or reuse a virtual environment (python3.11 by default);
# 2. torch 2.14.1 + torchvision 0.29.1;
# 3. full mmcv 2.1.0 with compiled ops: from a wheel if pip can find one
#    (standard PIP_FIND_LINKS, e.g. PIP_FIND_LINKS=../shared/wheels), else
#    built from source. mmcv 2.1.0's setup.py hard-codes -std=c++17 while
#    torch 2.14's headers need C++20, so the source is patched for that one
#    flag and built with setuptools<70 and --no-build-isolation (~11 min on
#    2 cores);
# 4. the OpenMMLab stack and mmhier itself (editable) with its test and
#    deploy extras (onnx, onnxruntime: the deployment tests need them).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

STAMP_INPUTS=("$ROOT/requirements/pinned.txt" "$ROOT/requirements/runtime.txt"
              "$ROOT/requirements/tests.txt" "$ROOT/requirements/mminstall.txt"
              "$ROOT/requirements/deploy.txt"
              "$ROOT/setup.py" "$ROOT/tools/setup_env.sh")
STAMP_HASH=$(cat "${STAMP_INPUTS[@]}" | sha256sum | cut -c1-16)
STAMP="$VENV/.mmhier-setup-$STAMP_HASH"

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup_env] creating virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

if [ -f "$STAMP" ] && "$PY" -c "import mmhier, mmcv.ops, mmseg.models, mmdet.models, mmpretrain.models, torch_pruning, onnx, onnxruntime" 2>/dev/null; then
  echo "[setup_env] environment $VENV is up to date"
  exit 0
fi

pin() { grep -E "^$1==" "$ROOT/requirements/pinned.txt"; }

"${PIP[@]}" install -q "pip<25" wheel

# 2. torch / torchvision (pip takes them from this machine's disk when present)
if ! "$PY" -c "import torch, torchvision, sys; sys.exit(torch.__version__.split('+')[0] != '2.14.1')" 2>/dev/null; then
  echo "[setup_env] installing $(pin torch) $(pin torchvision)"
  "${PIP[@]}" install "$(pin torch)" "$(pin torchvision)"
fi

# 3. full mmcv with compiled ops (its runtime needs mmengine: install first)
if ! "$PY" -c "import mmengine, sys; sys.exit(mmengine.__version__ != '0.10.7')" 2>/dev/null; then
  "${PIP[@]}" install -q "$(pin mmengine)"
fi
have_mmcv() {
  "$PY" -c "import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != '2.1.0')" 2>/dev/null
}
if ! have_mmcv; then
  echo "[setup_env] looking for an mmcv 2.1.0 wheel (PIP_FIND_LINKS=${PIP_FIND_LINKS:-unset})"
  if ! "${PIP[@]}" install --no-cache-dir --only-binary mmcv "$(pin mmcv)" || ! have_mmcv; then
    echo "[setup_env] no usable wheel: building mmcv 2.1.0 from source (C++20, ~11 min)"
    "${PIP[@]}" uninstall -y mmcv >/dev/null 2>&1 || true
    SRC_DIR=$(mktemp -d)
    # mmcv 2.1.0's setup.py imports pkg_resources (gone from setuptools>=70)
    # and torch, already to write its metadata: use this environment's.
    SETUPTOOLS_BEFORE=$("$PY" -c "import setuptools; print(setuptools.__version__)")
    "${PIP[@]}" install -q "setuptools<70" ninja psutil
    "${PIP[@]}" download --no-deps --no-binary :all: --no-build-isolation \
      --no-cache-dir -d "$SRC_DIR" "$(pin mmcv)"
    tar -xzf "$SRC_DIR"/mmcv-2.1.0.tar.gz -C "$SRC_DIR"
    # torch >= 2.10 headers require C++20; mmcv 2.1.0 hard-codes c++17.
    sed -i 's/-std=c++17/-std=c++20/g' "$SRC_DIR/mmcv-2.1.0/setup.py"
    grep -q -- '-std=c++20' "$SRC_DIR/mmcv-2.1.0/setup.py" || {
      echo "[setup_env] could not patch mmcv's C++ standard flag" >&2; exit 1; }
    MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" FORCE_CUDA="${FORCE_CUDA:-0}" \
      "${PIP[@]}" install --no-build-isolation --no-cache-dir "$SRC_DIR/mmcv-2.1.0"
    "${PIP[@]}" install -q "setuptools==$SETUPTOOLS_BEFORE"
    rm -rf "$SRC_DIR"
    have_mmcv || { echo "[setup_env] mmcv build failed" >&2; exit 1; }
  fi
fi

# 4. the rest of the stack, then mmhier (editable) with test and deploy extras
echo "[setup_env] installing the OpenMMLab stack and mmhier"
"${PIP[@]}" install -q -r "$ROOT/requirements/pinned.txt" -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt" -r "$ROOT/requirements/deploy.txt"
"${PIP[@]}" install -q --no-build-isolation -e "$ROOT[tests,deploy]"

"$PY" -c "import mmhier, mmcv.ops, mmseg.models, mmdet.models, mmpretrain.models, torch_pruning, onnx, onnxruntime; print('[setup_env] ok: mmhier', mmhier.__version__)"
rm -f "$VENV"/.mmhier-setup-*
touch "$STAMP"
