# Copyright (c) mmhier contributors. All rights reserved.
"""Time one LARS step: mmhier's vectorised LARS vs mmpretrain's LARS.

Both optimizers update the parameters of a ResNet-50 (mmpretrain) with
random gradients, grouped like the large-batch recipe (conv/linear weights
adapted and decayed; norm parameters and biases with ``lars_exclude``). The
two optimizers step alternately; wall-clock and process CPU time of
``--steps`` steps after ``--warmup`` untimed ones are printed for each as
min / median / max, with the ratio of medians mmpretrain / mmhier (> 1:
mmhier is faster) and the load verdict before and after the run. On a GPU
mmpretrain's LARS calls ``.item()`` twice per parameter and stalls the
device queue; on a CPU a host sync is free and the two should be at parity
or better.

Example::

    python tools/benchmarks/benchmark_lars.py --steps 30
    python tools/benchmarks/benchmark_lars.py --device cuda --steps 100
"""
import argparse

import torch
from mmpretrain.engine.optimizers import LARS as MMPretrainLARS
from mmpretrain.models import ResNet

from mmhier.engine.optimizers import LARS, split_no_decay_params

from timing import LoadCheck, format_row, ratio_of_medians, time_alternately


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cuda'
                        if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--steps', type=int, default=30,
                        help='timed steps per optimizer')
    parser.add_argument('--warmup', type=int, default=3,
                        help='untimed steps first (momentum buffers, caches)')
    parser.add_argument('--depth', type=int, default=50)
    return parser.parse_args()


def param_groups(model):
    norm_ids, bias_ids = split_no_decay_params(model)
    exempt = norm_ids | bias_ids
    params = list(model.parameters())
    return [
        dict(params=[p for p in params if id(p) not in exempt]),
        dict(params=[p for p in params if id(p) in exempt],
             weight_decay=0., lars_exclude=True),
    ]


def random_grads(model, device):
    gen = torch.Generator(device=device).manual_seed(0)
    for p in model.parameters():
        p.grad = torch.randn(p.shape, generator=gen, device=device)


def main():
    args = parse_args()
    device = torch.device(args.device)
    load = LoadCheck(threads=torch.get_num_threads())
    print(load.before())
    names, steps = [], []
    for name, cls in (('mmpretrain.LARS', MMPretrainLARS),
                      ('mmhier.LARS', LARS)):
        torch.manual_seed(0)
        model = ResNet(depth=args.depth).to(device)
        random_grads(model, device)
        optimizer = cls(param_groups(model), lr=0.1, momentum=0.9,
                        weight_decay=1e-4, eta=1e-3)
        names.append(name)
        steps.append(optimizer.step)
    results = dict(zip(names, time_alternately(steps, args.steps,
                                               args.warmup, device)))
    n_params = sum(1 for _ in ResNet(depth=args.depth).parameters())
    print(f'device: {device} ({torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"}), '  # noqa: E501
          f'torch threads: {torch.get_num_threads()}, ResNet-{args.depth}: '
          f'{n_params} parameter tensors, {args.steps} steps each, '
          'alternately (ms/step min/median/max)')
    for name, timings in results.items():
        print(format_row(name, timings, width=16))
    ratio, cpu_ratio = (ratio_of_medians(results['mmpretrain.LARS'],
                                         results['mmhier.LARS'], kind)
                        for kind in ('wall', 'cpu'))
    print(f'speed-up (mmpretrain / mmhier): {ratio:.2f}x (cpu '
          f'{cpu_ratio:.2f}x)')
    print(load.after())


if __name__ == '__main__':
    main()
