#!/usr/bin/env bash
# The main job on the bundled synthetic data, from a fresh machine:
#   bash tools/run_demo.sh [CONFIG]
# 1. set up the environment (tools/setup_env.sh, idempotent);
# 2. generate the synthetic Cityscapes / Mapillary Vistas v1.2 / GTSDB /
#    Cityscapes-Extended data in their real on-disk formats (data/synthetic);
# 3. train the tiny hierarchical segmentor on the three datasets at once
#    (batches of 4 = Cityscapes:Vistas:GTSDB 1:2:1, GTSDB as boxes only;
#    2000 iterations, about 6 minutes on 2 CPU cores; the 800-iteration
#    config of the experiments takes about 3);
# 4. evaluate the last checkpoint per dataset, each in its own label space
#    (tools/test.py prints the table);
# 5. draw the decision of every tree level for the Cityscapes val images
#    (tools/infer.py -> $WORK_DIR/levels/*.png).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CONFIG=${1:-configs/hier/hier_r18-tiny-d8_1xb4-2000i_synthetic-cvg-128x128.py}
WORK_DIR=${WORK_DIR:-work_dirs/demo}

bash tools/setup_env.sh
PY="$ROOT/.venv/bin/python"
"$PY" tools/dataset_converters/generate_synthetic.py --out-dir data/synthetic
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
CKPT=$(cat "$WORK_DIR/last_checkpoint")
"$PY" tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK_DIR/test"
"$PY" tools/infer.py "$CONFIG" "$CKPT" data/synthetic/cityscapes/leftImg8bit/val \
    --out-dir "$WORK_DIR/levels"
echo "[run_demo] per-dataset scores above; per-level drawings in $WORK_DIR/levels"
