# Copyright (c) mmhier contributors. All rights reserved.
"""CPU benchmark: 50% channel pruning of the backbone of the hierarchical
ResNet-50-D8 segmentor (``configs/_base_/models/hier_r50-d8.py``, the
HierarchicalDecodeHead on the paper's label tree) at 512x1024.

    OMP_NUM_THREADS=2 python tools/benchmarks/benchmark_pruning.py \
        [--shape 512 1024] [--ratio 0.5] [--iters 3]

Prints parameters and FLOPs (Torch-Pruning's counter, multiply-accumulates)
before and after, and the measured inference time of the unpruned and the
pruned model in the same process (same input, ``torch.no_grad``, one warm-up
pass each, then ``--iters`` timed passes of the two models alternately, so
that both see the same load): wall-clock and process CPU time as min /
median / max, the speed-up as the ratio of medians, and the load verdict
before and after the run. Weights are random: timing and counts do not
depend on them.
"""
import argparse
import copy
import os
import os.path as osp

import torch

from timing import LoadCheck, format_row, ratio_of_medians, time_alternately

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=osp.join(
        REPO, 'configs', '_base_', 'models', 'hier_r50-d8.py'))
    parser.add_argument('--shape', type=int, nargs=2, default=[512, 1024])
    parser.add_argument('--ratio', type=float, default=0.5)
    parser.add_argument('--iters', type=int, default=3)
    return parser.parse_args()


def main():
    args = parse_args()
    from mmengine.config import Config
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import init_default_scope

    import mmhier  # noqa: F401
    from mmhier.pruning import (PruningPlanner, count_params_flops,
                                tensor_forward)
    from mmhier.registry import MODELS

    cfg = Config.fromfile(args.config)
    cfg.model.pop('pretrained', None)
    init_default_scope('mmhier')
    cwd = os.getcwd()
    os.chdir(REPO)  # the taxonomy path in the config is repo-relative
    try:
        model = revert_sync_batchnorm(MODELS.build(cfg.model)).eval()
    finally:
        os.chdir(cwd)
    head = type(model.decode_head).__name__
    torch.manual_seed(0)
    inputs = torch.randn(1, 3, *args.shape)

    load = LoadCheck(threads=torch.get_num_threads())
    print(load.before())
    before = count_params_flops(model, inputs)
    pruned = copy.deepcopy(model)
    planner = PruningPlanner(layers=[r'^backbone\.'],
                             ignored_layers=[r'^decode_head\.'])
    ops = planner.step(pruned, inputs, args.ratio)
    pruned.eval()
    after = count_params_flops(pruned, inputs)
    with torch.no_grad():
        t_before, t_after = time_alternately(
            [lambda: tensor_forward(model, inputs),
             lambda: tensor_forward(pruned, inputs)], args.iters, warmup=1)

    print(f'model: ResNet-50-D8 + {head} ({args.config}), input '
          f'1x3x{args.shape[0]}x{args.shape[1]}, CPU, '
          f'{torch.get_num_threads()} threads, {len(ops)} layer ops')
    print(f'backbone channel ratio pruned: {args.ratio}')
    for key in ('params', 'flops'):
        b, a = before[key], after[key]
        print(f'{key:>6}: {b / 1e6:10.2f}M -> {a / 1e6:10.2f}M  '
              f'(reduction {100 * (1 - a / b):.1f}%, {b / a:.2f}x)')
    print(f'  time: {t_before.median():10.3f}s -> {t_after.median():10.3f}s'
          f'  (speed-up {ratio_of_medians(t_before, t_after):.2f}x, median '
          f'of {args.iters}; cpu '
          f'{ratio_of_medians(t_before, t_after, "cpu"):.2f}x)')
    print(format_row('unpruned', t_before, unit='s', width=9))
    print(format_row('pruned', t_after, unit='s', width=9))
    print(load.after())


if __name__ == '__main__':
    main()
