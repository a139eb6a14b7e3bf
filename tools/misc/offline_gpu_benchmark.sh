#!/bin/bash
# Benchmark a config on a GPU machine WITHOUT internet (how the H100 row of
# README's benchmark table was measured):
#   1. on a machine with internet, download the OpenMMLab stack for the GPU
#      machine's Python into one folder, e.g. for Python 3.12:
#        pip download --only-binary=:all: --python-version 3.12 \
#          --platform manylinux2014_x86_64 --no-deps -d WHEELS \
#          mmengine==0.10.7 mmsegmentation==1.2.2 mmdet==3.3.0 \
#          mmpretrain==1.2.0 torch-pruning==1.6.1 addict yapf termcolor ftfy \
#          regex prettytable rich ... "setuptools<70" wheel ninja
#        pip download --no-binary :all: --no-deps -d WHEELS mmcv==2.1.0
#      (pip prepares the sdist's metadata and stops where setuptools >= 70
#      lacks pkg_resources: run it where setuptools < 70 is installed, or
#      save the sdist's URL from `pip download -vv ...` with any client)
#   2. copy WHEELS and the repository to the GPU machine, then from the
#      repository root:  OUT=results bash tools/misc/offline_gpu_benchmark.sh WHEELS
# Installs only the wheels whose package is missing (--no-deps), builds mmcv
# 2.1.0 with CPU ops (enough to import mmseg; the model runs on the GPU) as a
# wheel once, kept in $W/mmcv for the next run, and prints
# tools/benchmarks/benchmark.py's tables for the paper's 520x706 input (fp32 and
# AMP each): the hierarchical R50-D8 at batch 1, at batch 1 and 16 with
# channels_last, and the flat FCN on the same backbone (FULL=0 skips all but
# the first), the fast PyTorch path's batch-1 fps and batch-16 images/s
# (tools/benchmarks/fast_inference.py: fp32, fp16, channels_last, CUDA
# graphs), then a summary: inference fps / images/s and the training-step
# cost hierarchical vs FCN (train images/s FCN / hierarchical). Tested on
# one NVIDIA H100 with Python 3.12 / torch 2.11 (C++17 sufficed there; the
# C++20 patch of tools/setup_env.sh is applied when torch's headers ask).
# Options (environment):
#   MMCV_OPS=none   skip the mmcv build (minutes on 16 cores): install mmcv's
#                   Python files from the sdist and a placeholder mmcv._ext
#                   whose every function raises when called. mmseg imports
#                   mmcv.ops, but the ResNet-D8 models benchmarked here call
#                   no mmcv op (a call would stop the run with that error).
#   BENCH_RUNS      benchmark.py runs (default: hier_b1 hier_b1_cl
#                   hier_b16_cl fcn_b1); FULL=0 or FAST_ONLY=1: none
#   FAST_RUNS       fast-path runs (default: all seven below); FAST=0: none
#   DEVICE          cuda (default) or cpu, to dry-run the script here
set -u
W=${W:-$1}
OUT=${OUT:-benchmark_out}
mkdir -p "$OUT" "$W/mmcv"
CONFIG=${CONFIG:-configs/hier/hier_r50-d8_1xb4-160k_cvg-512x706.py}
export PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1
PY=$(command -v python3 || command -v python)
T0=$(date +%s)
el() { echo "[t=$(( $(date +%s) - T0 ))s] $*"; }
el "== env"
$PY -V; which python python3 pip gcc nvcc; gcc --version | head -1; nproc
$PY -c "import torch;print('torch', torch.__version__, 'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version(), torch.cuda.is_available(), torch.cuda.get_device_name(0))"
nvidia-smi -L; nvidia-smi --query-gpu=driver_version,clocks.max.sm --format=csv
$PY -m pip list > $OUT/piplist.txt 2>&1
for m in numpy cv2 scipy matplotlib yaml PIL sklearn torchvision tqdm setuptools pkg_resources wheel ninja shapely pycocotools six packaging; do
  $PY -c "import $m; print('have $m', getattr($m,'__version__',''))" 2>/dev/null || echo "MISSING $m"; done
TI=$($PY -c "import torch,os;print(os.path.dirname(torch.__file__))")/include/torch/csrc/api/include/torch/all.h
grep -n "__cplusplus" $TI
SCRIPTS=$($PY -c 'import sysconfig;print(sysconfig.get_path("scripts"))'); export PATH=$SCRIPTS:$PATH
el "== install missing wheels"
MISS=$($PY - "$@" <<'PY'
import sys, glob, os, importlib.metadata as md
force = {'setuptools', 'wheel', 'ninja'}
out = []
for d in sys.argv[1:]:
    for f in sorted(glob.glob(d + '/*.whl')):
        name = os.path.basename(f).split('-')[0].lower().replace('_', '-')
        if name == 'mmcv':
            continue
        try:
            md.distribution(name)
            if name in force:
                out.append(f)
        except md.PackageNotFoundError:
            out.append(f)
print(' '.join(out))
PY
)
echo "installing: $(for f in $MISS; do basename $f; done | tr '\n' ' ')"
[ -z "$MISS" ] || $PY -m pip install -q --no-index --no-deps --no-compile $MISS || el "pip install failed"
if [ "${MMCV_OPS:-build}" = none ]; then
  el "== mmcv Python files without compiled ops (MMCV_OPS=none)"
  SITE=${MMCV_SITE:-/tmp/mmcv_site}; rm -rf "$SITE" /tmp/b_py; mkdir -p "$SITE" /tmp/b_py
  tar xzf "$1"/mmcv-2.1.0.tar.gz -C /tmp/b_py && cp -r /tmp/b_py/mmcv-2.1.0/mmcv "$SITE"/
  cat > "$SITE"/mmcv/_ext.py <<'EXT'
"""Placeholder for mmcv's compiled ops, which this install did not build
(offline_gpu_benchmark.sh with MMCV_OPS=none): every op raises when called."""


def __getattr__(name):
    if name.startswith('__'):
        raise AttributeError(name)

    def missing(*args, **kwargs):
        raise RuntimeError(f'mmcv op {name!r} was called, but mmcv was '
                           'installed without its compiled ops '
                           '(MMCV_OPS=none); rerun with MMCV_OPS=build')
    return missing
EXT
  export PYTHONPATH=$SITE${PYTHONPATH:+:$PYTHONPATH}
elif ls $W/mmcv/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
  el "== install carried mmcv wheel"; $PY -m pip install -q --no-index --no-deps $W/mmcv/mmcv-2.1.0-*.whl
else
  el "== build mmcv wheel (CPU ops)"
  mkdir -p /tmp/b /tmp/whl && tar xzf "$1"/mmcv-2.1.0.tar.gz -C /tmp/b
  if grep -q 202002L $TI; then sed -i 's/-std=c++17/-std=c++20/g' /tmp/b/mmcv-2.1.0/setup.py; echo "patched to c++20"; fi
  (cd /tmp/b/mmcv-2.1.0 && CUDA_VISIBLE_DEVICES= FORCE_CUDA=0 MMCV_WITH_OPS=1 MAX_JOBS=16 timeout ${BUILD_TIMEOUT:-400} \
     $PY -m pip wheel --no-build-isolation --no-deps --no-index -w /tmp/whl . > $OUT/mmcv_build.log 2>&1) || { el "mmcv build FAILED"; tail -40 $OUT/mmcv_build.log; exit 1; }
  ls -la /tmp/whl; WHL=$(ls /tmp/whl/mmcv-2.1.0-*.whl)
  cp $WHL $W/mmcv/
  $PY -m pip install -q --no-index --no-deps $WHL
fi
# transformers 5.x (preinstalled there) breaks mmpretrain 1.2's multimodal imports
$PY -m pip uninstall -q -y transformers
# the repository (and, with MMCV_OPS=none, the mmcv files) on the path of
# every Python step below
export PYTHONPATH=.${PYTHONPATH:+:$PYTHONPATH}
el "== import check"
$PY -c "import mmcv, mmcv.ops, mmengine, mmseg, mmhier; print('mmcv', mmcv.__version__, 'mmengine', mmengine.__version__, 'mmseg', mmseg.__version__, 'mmhier ok')" || { el "import failed"; exit 2; }
el "== benchmark"
ITERS=${ITERS:-50}; WARMUP=${WARMUP:-10}
if [ "${FAST_ONLY:-0}" = 1 ]; then FULL=0; fi
bench() {  # bench NAME CONFIG [benchmark.py options]
  local name=$1 config=$2; shift 2
  el "-- $name"
  $PY tools/benchmarks/benchmark.py "$config" --shape 520 706 \
    --iters "$ITERS" --warmup "$WARMUP" --device "${DEVICE:-cuda}" "$@" 2>&1 | tee "$OUT/bench_$name.txt"
}
FLAT=${FLAT:-configs/flat/flat_r50-d8_1xb4-160k_cvg-512x706.py}
BENCH_RUNS=${BENCH_RUNS:-hier_b1 hier_b1_cl hier_b16_cl fcn_b1}
if [ "${FAST_ONLY:-0}" = 1 ] || [ "${FULL:-1}" = 0 ]; then BENCH_RUNS=; fi
for run in $BENCH_RUNS; do
  case $run in
    hier_b1) bench hier_b1 $CONFIG ;;
    hier_b1_cl) bench hier_b1_cl $CONFIG --channels-last ;;
    hier_b16_cl) bench hier_b16_cl $CONFIG --channels-last --test-batch 16 ;;
    fcn_b1) bench fcn_b1 $FLAT ;;
    *) el "unknown BENCH_RUNS entry $run"; exit 3 ;;
  esac
done
if [ -n "$BENCH_RUNS" ]; then
  el "== summary"
  $PY - "$OUT" <<'PY'
import re, sys
rows = {}
for name in ('hier_b1', 'hier_b1_cl', 'hier_b16_cl', 'fcn_b1'):
    try:
        text = open(f'{sys.argv[1]}/bench_{name}.txt').read()
    except OSError:
        continue
    for prec, train, fps in re.findall(
            r'^\| (fp32|AMP \w+) \| ([\d.]+) \| ([\d.]+) \|', text, re.M):
        rows[name, prec] = float(train), float(fps)
for (name, prec), (train, fps) in sorted(rows.items()):
    print(f'{name:12s} {prec:9s} inference {fps:8.1f} images/s  '
          f'train {train:7.2f} images/s')
for prec in ('fp32', 'AMP fp16'):
    if ('hier_b1', prec) in rows and ('fcn_b1', prec) in rows:
        ratio = rows['fcn_b1', prec][0] / rows['hier_b1', prec][0]
        print(f'training step hierarchical / FCN ({prec}): {ratio:.2f}x '
              '(goal <= 1.05x)')
PY
fi
# the fast PyTorch path (mmhier.deploy.FastInference), end to end with pre-
# and post-processing: batch-1 fps and batch-16 images/s (goals: >= 200 and
# >= 600); FAST=0 skips it, FAST_ONLY=1 runs only this part
fast() {  # fast NAME [fast_inference.py options]
  local name=$1; shift
  el "-- fast $name"
  $PY tools/benchmarks/fast_inference.py "$CONFIG" --shape 520 706 \
    --iters "$ITERS" --warmup "$WARMUP" --device "${DEVICE:-cuda}" "$@" 2>&1 | tee "$OUT/fast_$name.txt"
}
# from JPEG files (_files): decoding on the host too, in loading threads (one
# per image of a batch, at most the cores; _1thread: none, to see what they give)
FAST_RUNS=${FAST_RUNS:-fp32 fp16 fp16_cl fp16_cl_graph fp32_cl_graph fp16_cl_graph_files fp16_cl_graph_files_1thread}
if [ "${FAST:-1}" = 0 ]; then FAST_RUNS=; fi
[ -z "$FAST_RUNS" ] || el "== fast PyTorch path"
for run in $FAST_RUNS; do
  case $run in
    fp32) fast fp32 ;;
    fp16) fast fp16 --amp fp16 ;;
    fp16_cl) fast fp16_cl --amp fp16 --channels-last ;;
    fp16_cl_graph) fast fp16_cl_graph --amp fp16 --channels-last --cuda-graph ;;
    fp32_cl_graph) fast fp32_cl_graph --channels-last --cuda-graph ;;
    fp16_cl_graph_files) fast fp16_cl_graph_files --amp fp16 --channels-last --cuda-graph --from-files ;;
    fp16_cl_graph_files_1thread) fast fp16_cl_graph_files_1thread --amp fp16 --channels-last \
      --cuda-graph --from-files --num-workers 0 ;;
    *) el "unknown FAST_RUNS entry $run"; exit 3 ;;
  esac
done
if [ -n "$FAST_RUNS" ]; then
  el "== fast summary (images/s, end to end)"
  grep -H "images/s end-to-end" $OUT/fast_*.txt | sed "s|$OUT/fast_||; s|.txt:| |"
fi
el "done"
