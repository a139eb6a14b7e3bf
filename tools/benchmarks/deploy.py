# Copyright (c) mmhier contributors. All rights reserved.
"""CPU benchmark of deployment: PyTorch eager vs onnxruntime, unpruned vs
50%-channel-pruned, for the tiny hierarchical model and the ResNet-50-D8
hierarchical segmentor at the paper's 520x706::

    python tools/benchmarks/deploy.py [--models tiny r50] [--iters 5] \\
        [--warmup 1] [--ratio 0.5] [--threads N]

One process, one table. Every row runs the same computation on the same
input (batch 1, random weights: timing does not depend on them): backbone,
hierarchical head, resize to the input size and the greedy decision rule
with per-level decisions (:class:`mmhier.deploy.SegmentorExportWrapper`),
eagerly under ``torch.no_grad`` or as the ONNX graph that
:func:`mmhier.deploy.export_onnx` writes, in onnxruntime on the CPU. PyTorch
and onnxruntime both use ``--threads`` threads (default: the number of
cores). Pruning: Torch-Pruning via :class:`mmhier.pruning.PruningPlanner`,
backbone channels only, as ``tools/benchmarks/benchmark_pruning.py``.

Per row: wall-clock and process CPU time (all threads) of ``--iters`` timed
passes after ``--warmup`` untimed ones (eager and onnxruntime of a variant
alternately, so that both see the same load), as min / median / max, the
speed-up of the median against PyTorch eager of the same model (unpruned
and same variant), and the pixel agreement of the labels with eager. The
load verdict before and after the run says whether other jobs competed for
the cores: then the wall-clock ratios are noisy (the CPU times much less
so).
"""
import argparse
import copy
import os
import os.path as osp
import tempfile
import time

import torch

from timing import LoadCheck, format_spread, ratio_of_medians, time_alternately

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MODELS = dict(
    tiny=('configs/hier/hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py',
          (256, 512)),
    r50=('configs/hier/hier_r50-d8_1xb4-160k_cvg-512x706.py', (520, 706)))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--models', nargs='+', default=list(MODELS), choices=list(MODELS))
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--ratio', type=float, default=0.5)
    parser.add_argument(
        '--threads', type=int, default=os.cpu_count(),
        help='PyTorch and onnxruntime threads (default: all cores)')
    return parser.parse_args()


def prune(model, ratio: float):
    from mmhier.pruning import PruningPlanner
    model = copy.deepcopy(model)
    planner = PruningPlanner(
        layers=[r'^backbone\.'], ignored_layers=[r'^decode_head\.'])
    planner.step(model, torch.randn(1, 3, 64, 64), ratio)
    return model.eval()


def bench_variant(model, inputs, args, tmp):
    """Rows of one model variant: eager, then onnxruntime."""
    import onnxruntime as ort

    from mmhier.deploy import INPUT_NAME, SegmentorExportWrapper, export_onnx
    from mmhier.pruning import count_params_flops

    wrapper = SegmentorExportWrapper(
        model, 'greedy', outputs=('labels', 'levels')).eval()
    counts = count_params_flops(model, inputs)
    path = osp.join(tmp, 'model.onnx')
    start = time.perf_counter()
    export_onnx(
        model,
        path,
        shape=inputs.shape[2:],
        decision='greedy',
        outputs=('labels', 'levels'))
    export_s = time.perf_counter() - start
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    session = ort.InferenceSession(
        path, sess_options=options, providers=['CPUExecutionProvider'])
    feed = {INPUT_NAME: inputs.numpy()}
    with torch.no_grad():
        eager, onnx = time_alternately(
            [lambda: wrapper(inputs), lambda: session.run(None, feed)],
            args.iters, args.warmup)
    agree = float(
        (torch.from_numpy(onnx.output[0]) == eager.output[0]).float().mean())
    rows = [
        dict(backend='pytorch eager', timings=eager, agree=1.0),
        dict(
            backend='onnxruntime',
            timings=onnx,
            agree=agree,
            export_s=export_s)
    ]
    for row in rows:
        row.update(params=counts['params'], flops=counts['flops'])
    return rows


def main():
    args = parse_args()
    from mmengine.logging import MMLogger

    from mmhier.apis import init_model
    MMLogger.get_current_instance().setLevel('WARNING')
    torch.set_num_threads(args.threads)
    cores = os.cpu_count()
    load = LoadCheck(threads=args.threads)
    print(load.before())
    os.chdir(REPO)  # taxonomy paths in the configs are repo-relative
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            config, shape = MODELS[name]
            torch.manual_seed(0)
            model = init_model(config)
            inputs = torch.randn(
                1, 3, *shape, generator=torch.Generator().manual_seed(0))
            variants = [('unpruned', model),
                        (f'{int(args.ratio * 100)}% pruned',
                         prune(model, args.ratio))]
            base = None
            for variant, m in variants:
                rows = bench_variant(m, inputs, args, tmp)
                same = rows[0]['timings']
                base = base or same
                for row in rows:
                    row.update(
                        model=f'{name} {shape[0]}x{shape[1]}',
                        variant=variant,
                        vs_same=ratio_of_medians(same, row['timings']),
                        vs_base=ratio_of_medians(base, row['timings']))
                    table.append(row)

    print(f'CPU, {cores} cores, {args.threads} threads (PyTorch and '
          f'onnxruntime), torch {torch.__version__}, batch 1, greedy rule + '
          f'levels in both, {args.iters} timed passes after {args.warmup} '
          'warm-up')
    head = (f'{"model":<14} {"variant":<11} {"backend":<14} '
            f'{"GFLOPs":>7} {"wall s min/med/max":>22} '
            f'{"CPU s min/med/max":>22} {"vs eager":>8} '
            f'{"vs unpruned eager":>17} {"labels=":>7}')
    print(head)
    print('-' * len(head))
    for r in table:
        w = format_spread(r['timings'], 'wall', 's')
        c = format_spread(r['timings'], 'cpu', 's')
        print(f'{r["model"]:<14} {r["variant"]:<11} {r["backend"]:<14} '
              f'{r["flops"] / 1e9:7.1f} {w:>22} {c:>22} '
              f'{r["vs_same"]:7.2f}x {r["vs_base"]:16.2f}x '
              f'{100 * r["agree"]:6.2f}%')
    print(load.after())
    print('GFLOPs: multiply-accumulates of the model forward '
          '(Torch-Pruning counter); labels=: pixels whose label equals '
          'eager\'s')


if __name__ == '__main__':
    main()
