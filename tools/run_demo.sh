#!/usr/bin/env bash
# The main job on the bundled synthetic data, from a fresh machine:
#   bash tools/run_demo.sh [CONFIG]
# 1. set up the environment (tools/setup_env.sh, idempotent);
# 2. generate the synthetic data in the real on-disk formats (data/synthetic);
# 3. train CONFIG with tools/train.py;
# 4. evaluate the last checkpoint with tools/test.py and draw its predictions
#    to PNG (work_dirs/demo/<timestamp>/vis_data/vis_image).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CONFIG=${1:-configs/baselines/fcn_r18-tiny-d8_1xb4-100i_synthetic-cityscapes-128x128.py}
WORK_DIR=${WORK_DIR:-work_dirs/demo}

bash tools/setup_env.sh
PY="$ROOT/.venv/bin/python"
"$PY" tools/dataset_converters/generate_synthetic.py --out-dir data/synthetic
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
CKPT=$(cat "$WORK_DIR/last_checkpoint")
"$PY" tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK_DIR/test" --show-dir vis
echo "[run_demo] predictions drawn under $WORK_DIR/test/*/vis"
