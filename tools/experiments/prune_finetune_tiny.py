# Copyright (c) mmhier contributors. All rights reserved.
"""Accuracy of the tiny hierarchical model before pruning, right after 50%
channel pruning of its backbone, and after fine-tuning.

    python tools/experiments/prune_finetune_tiny.py --train-iters 800 \\
        --finetune-iters 400 --work-dir work_dirs/prune_finetune_tiny

Stages, each through the project's own tools in a subprocess:

1. ``tools/train.py`` trains ``--config`` (default: the tiny Cityscapes-only
   hierarchical model on ``data/synthetic``, generated first with
   ``tools/dataset_converters/generate_synthetic.py`` if missing), unless
   ``--checkpoint`` gives a trained one.
2. ``tools/test.py`` scores the checkpoint (``HierIoUMetric`` in Cityscapes'
   own classes: mIoU, mPA).
3. ``tools/analysis/prune.py`` removes ``--ratio`` of the channels of the
   layers matching ``--layers`` (default: the whole backbone) and writes the
   pruned weights with their pruning history.
4. ``tools/test.py`` scores the pruned checkpoint with the fine-tuning config
   (the config plus a replay-only ``PruningHook(ratio=None)``, which rebuilds
   the pruned shapes before the weights load).
5. ``tools/train.py`` fine-tunes it (``load_from`` the pruned checkpoint, same
   optimiser, a fresh schedule of ``--finetune-iters``; by default at the
   config's learning rate), then ``tools/test.py`` scores the result.

With ``--importance taylor`` (which needs the gradients of a training batch)
or ``--iterative-steps K > 1``, stages 3-4 are left out: the fine-tuning run
loads the trained checkpoint and its ``PruningHook`` prunes it, step ``k``
of ``K`` at iteration ``(k - 1) * --prune-interval``, reaching ``--ratio``
with the last one.

Prints one table (params, FLOPs of one forward pass on a ``--shape`` input,
mIoU, mPA, aAcc per stage) and the wall time; writes ``results.json`` and each
stage's derived config, logs and checkpoint under ``--work-dir``.
"""
import argparse
import glob
import json
import os
import os.path as osp
import time

from mmengine.config import Config
from prettytable import PrettyTable

import common
from common import REPO, run

CONFIG = 'configs/hier/hier_tiny_1xb4-200i_synthetic-cityscapes-128x128.py'


def parse_args():
    parser = argparse.ArgumentParser(
        description='Train, prune and fine-tune the tiny hierarchical model; '
        'print params / FLOPs / mIoU / mPA before pruning, right after and '
        'after fine-tuning')
    parser.add_argument('--config', default=CONFIG)
    parser.add_argument('--train-iters', type=int, default=800)
    parser.add_argument('--finetune-iters', type=int, default=400)
    parser.add_argument(
        '--finetune-lr', type=float,
        help='learning rate of the fine-tuning (default: the config\'s, '
        'i.e. that of the training: 0.05 for the tiny model)')
    parser.add_argument('--ratio', type=float, default=0.5,
                        help='fraction of the selected channels to remove')
    parser.add_argument('--layers', nargs='+', default=[r'^backbone\.'],
                        help='state-dict key regexes of the pruned layers')
    parser.add_argument(
        '--importance', default='magnitude',
        choices=['magnitude', 'bn_scale', 'taylor'],
        help='criterion (taylor needs gradients: it prunes inside the '
        'fine-tuning run with PruningHook)')
    parser.add_argument(
        '--iterative-steps', type=int, default=1,
        help='prune in this many equal steps inside the fine-tuning run '
        '(PruningHook) instead of once offline (tools/analysis/prune.py)')
    parser.add_argument(
        '--prune-interval', type=int, default=50,
        help='fine-tuning iterations between two of the --iterative-steps')
    parser.add_argument(
        '--checkpoint',
        help='a trained checkpoint of --config (e.g. train/iter_800.pth of '
        'an earlier run): skip the training and prune it')
    parser.add_argument(
        '--shape', type=int, nargs=2, default=(128, 256),
        metavar=('H', 'W'),
        help='input of the FLOP count (default: a 128x256 test image)')
    parser.add_argument('--work-dir', default='work_dirs/prune_finetune_tiny')
    parser.add_argument(
        '--data-root', default='data/synthetic',
        help='output of generate_synthetic.py (generated here if missing)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-workers', type=int, default=2)
    args = parser.parse_args()
    if not 0.0 < args.ratio < 1.0:
        raise ValueError(f'--ratio must be in (0, 1), got {args.ratio}')
    if args.train_iters < 1 or args.finetune_iters < 1:
        raise ValueError('--train-iters and --finetune-iters must be >= 1')
    if args.iterative_steps < 1 or args.prune_interval < 1:
        raise ValueError('--iterative-steps and --prune-interval must be '
                         '>= 1')
    if (args.iterative_steps - 1) * args.prune_interval >= \
            args.finetune_iters:
        raise ValueError(
            f'the last of {args.iterative_steps} pruning steps every '
            f'{args.prune_interval} iterations falls outside the '
            f'{args.finetune_iters} fine-tuning iterations')
    return args


def prunes_in_training(args) -> bool:
    """Whether PruningHook prunes during the fine-tuning (iterative or
    Taylor) instead of ``tools/analysis/prune.py`` before it."""
    return args.iterative_steps > 1 or args.importance == 'taylor'


def derive_config(args, iters: int, load_from=None, replay=False,
                  lr=None, prune=False) -> Config:
    """``--config`` with a budget of ``iters``, the data root, and for the
    pruned stages ``load_from`` and a replay-only ``PruningHook`` (or, with
    ``prune``, one that prunes as ``--ratio`` / ``--iterative-steps``
    say)."""
    cfg = common.derive_config(osp.join(REPO, args.config), args, iters)
    for sched in cfg.param_scheduler:
        if sched.get('by_epoch', True):
            raise ValueError(f'{args.config}: expected iteration-based '
                             f'param schedulers, got {sched}')
        sched.end = iters
    if lr is not None:
        cfg.optim_wrapper.optimizer.lr = lr
    cfg.load_from = load_from
    if prune:
        hook = dict(
            type='PruningHook',
            ratio=args.ratio,
            layers=args.layers,
            importance=args.importance,
            iterative_steps=args.iterative_steps,
            interval=args.prune_interval)
    elif replay:
        hook = dict(type='PruningHook', ratio=None)
    if prune or replay:
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [hook]
    return cfg


def test(cfg_path: str, ckpt: str, out_dir: str) -> dict:
    """Score ``ckpt`` with ``tools/test.py``; returns its metrics json."""
    before = set(glob.glob(osp.join(out_dir, '*', '*.json')))
    run(['tools/test.py', cfg_path, ckpt, '--work-dir', out_dir],
        osp.join(out_dir + '.out'))
    new = sorted(set(glob.glob(osp.join(out_dir, '*', '*.json'))) - before)
    if not new:
        raise RuntimeError(f'tools/test.py wrote no metrics json under '
                           f'{out_dir}')
    with open(new[-1]) as f:
        return json.load(f)


def size_of(cfg_path: str, ckpt: str, shape) -> dict:
    """Params and FLOPs of the (possibly pruned) model in ``ckpt``."""
    import torch

    from mmhier.apis import init_model
    from mmhier.pruning import count_params_flops
    model = init_model(cfg_path, ckpt)
    return count_params_flops(model, torch.randn(1, 3, *shape))


def main():
    args = parse_args()
    start = time.perf_counter()
    work = osp.abspath(args.work_dir)
    os.makedirs(work, exist_ok=True)
    args.data_root = osp.abspath(osp.join(REPO, args.data_root))
    if not osp.isdir(osp.join(args.data_root, 'cityscapes')):
        print(f'generating the synthetic data in {args.data_root} ...',
              flush=True)
        run(['tools/dataset_converters/generate_synthetic.py', '--out-dir',
             args.data_root], osp.join(work, 'generate.out'))

    # 1-2: train and score the unpruned model
    train_cfg = osp.join(work, 'train_config.py')
    derive_config(args, args.train_iters).dump(train_cfg)
    if args.checkpoint:
        trained = osp.abspath(args.checkpoint)
        print(f'reusing the trained checkpoint {trained}', flush=True)
    else:
        train_dir = osp.join(work, 'train')
        print(f'training {args.train_iters} iterations ...', flush=True)
        run(['tools/train.py', train_cfg, '--work-dir', train_dir],
            osp.join(work, 'train.out'))
        trained = osp.join(train_dir, f'iter_{args.train_iters}.pth')
    stages = [('trained', train_cfg, trained,
               test(train_cfg, trained, osp.join(work, 'test_trained')))]

    ft_cfg = osp.join(work, 'finetune_config.py')
    if prunes_in_training(args):
        # 3-4: PruningHook prunes the trained model in the fine-tuning run
        derive_config(args, args.finetune_iters, load_from=trained,
                      lr=args.finetune_lr, prune=True).dump(ft_cfg)
    else:
        # 3-4: prune offline, score right away (the replay hook rebuilds
        # the shapes)
        pruned = osp.join(work, 'pruned.pth')
        print(f'pruning {args.ratio:.0%} of the channels of {args.layers} '
              '...', flush=True)
        run(['tools/analysis/prune.py', train_cfg, trained, '--out', pruned,
             '--ratio', str(args.ratio), '--importance', args.importance,
             '--shape', *map(str, args.shape), '--layers', *args.layers],
            osp.join(work, 'prune.out'))
        derive_config(args, args.finetune_iters, load_from=pruned,
                      replay=True, lr=args.finetune_lr).dump(ft_cfg)
        stages.append(('pruned', ft_cfg, pruned,
                       test(ft_cfg, pruned, osp.join(work, 'test_pruned'))))

    # 5: fine-tune and score
    ft_dir = osp.join(work, 'finetune')
    print(f'fine-tuning {args.finetune_iters} iterations ...', flush=True)
    run(['tools/train.py', ft_cfg, '--work-dir', ft_dir],
        osp.join(work, 'finetune.out'))
    tuned = osp.join(ft_dir, f'iter_{args.finetune_iters}.pth')
    stages.append(('pruned + fine-tuned', ft_cfg, tuned,
                   test(ft_cfg, tuned, osp.join(work, 'test_finetuned'))))

    table = PrettyTable([
        'stage', 'params', f'FLOPs ({args.shape[0]}x{args.shape[1]})',
        'mIoU', 'mPA', 'aAcc'
    ])
    results = []
    for name, cfg_path, ckpt, metrics in stages:
        size = size_of(cfg_path, ckpt, args.shape)
        results.append(dict(stage=name, checkpoint=ckpt, **size,
                            metrics=metrics))
        table.add_row([
            name, f'{size["params"] / 1e3:.1f} K',
            f'{size["flops"] / 1e6:.1f} M', metrics['mIoU'], metrics['mPA'],
            metrics['aAcc']
        ])
    wall = time.perf_counter() - start
    with open(osp.join(work, 'results.json'), 'w') as f:
        json.dump(dict(args=vars(args), stages=results, seconds=wall), f,
                  indent=1)
    if prunes_in_training(args):
        how = (f'in {args.iterative_steps} step(s) every '
               f'{args.prune_interval} it of the fine-tuning')
    else:
        how = 'once before the fine-tuning'
    print(f'{args.config}: train {args.train_iters} it, prune '
          f'{args.ratio:.0%} of {args.layers} ({args.importance}) {how}, '
          f'fine-tune {args.finetune_iters} it (lr '
          f'{args.finetune_lr or "of the config"}); test set scores in '
          'Cityscapes classes (%)')
    print(table)
    print(f'wall time {wall:.0f} s')


if __name__ == '__main__':
    main()
