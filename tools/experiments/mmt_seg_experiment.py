# Copyright (c) mmhier contributors. All rights reserved.
"""Source-only vs mean teacher vs MMT for segmentation domain adaptation on
the synthetic data, with the same budget, through ``tools/train.py``.

Stage 1 trains the tiny hierarchical segmentor on the labelled synthetic
Cityscapes (``--source-iters``), once per ``--source-seeds`` entry (two
seeds by default, as MMT pre-trains its two peers). Stage 2 starts three
arms from the first seed's checkpoint (MMT: peer k from seed k's), each for
``--adapt-iters`` iterations at the same learning rate schedule:

* ``source-only``: training continues on the source only;
* ``mean teacher``: one peer + its EMA mean net (``num_peers=1``);
* ``MMT``: two peers + two mean nets (each peer learns from the other's).

Each arm is evaluated on the target val split (``cityscapes_target``,
HierIoUMetric) and the script prints the per-level mIoU side by side with
the wall time of each arm. The target has Cityscapes' label list, whose
labels stop at the root level (road, rider and traffic sign are coarse), so
L2/L3 have no labelled pixel there and print as ``n/a``.

Example (the README's numbers; a target val split of 60 images, so that
one image does not move mIoU by a point)::

    python tools/dataset_converters/generate_synthetic.py \
        --out-dir data/synthetic_mmt --datasets cityscapes cityscapes_target \
        --num-val 60
    OMP_NUM_THREADS=1 python tools/experiments/mmt_seg_experiment.py \
        --data-root data/synthetic_mmt --adapt-seeds 0 1 2 3 4 --jobs 2
"""
import argparse
import glob
import json
import math
import os
import os.path as osp
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from common import REPO, run

CFG_DIR = osp.join(REPO, 'configs', 'mmt')
SUFFIX = 'r18-tiny-d8_1xb4-400i_synthetic-cityscapes2target-128x128.py'
CONFIGS = {
    'source-only': f'seg-source-only_{SUFFIX}',
    'mean teacher': f'mean-teacher-seg_{SUFFIX}',
    'MMT': f'mmt-seg_{SUFFIX}',
}
COLUMNS = ('L1.mIoU', 'L2.mIoU', 'L3.mIoU', 'mIoU', 'hAcc')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--source-iters', type=int, default=900)
    parser.add_argument('--adapt-iters', type=int, default=300)
    parser.add_argument('--adapt-lr', type=float, default=0.01)
    parser.add_argument(
        '--source-seeds', type=int, nargs='+', default=[0, 1],
        help='one stage-1 run per seed; MMT peers start from the first two')
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument(
        '--work-dir', default='work_dirs/mmt_seg_experiment')
    parser.add_argument(
        '--arms', nargs='+', default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument(
        '--reuse-source', action='store_true',
        help='reuse the stage-1 checkpoint of an earlier run in --work-dir '
        '(its wall time is then not measured)')
    parser.add_argument(
        '--adapt-seeds', type=int, nargs='+', default=[0],
        help='run every adaptation arm once per seed (randomness.seed) and '
        'print the mean and standard deviation over the seeds')
    parser.add_argument(
        '--jobs', type=int, default=1,
        help='adaptation runs in parallel (their wall times then include '
        'the contention)')
    parser.add_argument(
        '--cfg-options', nargs='+', default=[],
        help='extra options for the adaptation arms (e.g. '
        'model.pseudo_threshold=0.8)')
    return parser.parse_args()


def data_options(root, arm):
    src = f'{root}/cityscapes'
    tgt = f'{root}/cityscapes_target'
    opts = [f'val_dataloader.dataset.data_root={tgt}']
    if arm == 'source-only':
        return opts + [f'train_dataloader.dataset.data_root={src}']
    return opts + [
        f'train_dataloader.dataset.datasets.0.data_root={src}',
        f'train_dataloader.dataset.datasets.1.data_root={tgt}'
    ]


def schedule_options(iters):
    return [
        f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
        f'default_hooks.checkpoint.interval={iters}',
        f'param_scheduler.0.end={iters}', 'default_hooks.logger.interval=50'
    ]


def train(config, work_dir, options):
    """Run tools/train.py; return (final val metrics, wall seconds)."""
    cmd = ['tools/train.py', osp.join(CFG_DIR, config), '--work-dir',
           work_dir, '--cfg-options'] + options
    # two threads unless the caller chose
    threads = 0 if 'OMP_NUM_THREADS' in os.environ else 2
    start = time.perf_counter()
    run(cmd, threads=threads)
    seconds = time.perf_counter() - start
    return last_val_metrics(work_dir), seconds


def last_val_metrics(work_dir):
    """The last validation record of the newest run in ``work_dir``."""
    logs = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                     'scalars.json')))
    if not logs:
        raise FileNotFoundError(f'no scalars.json under {work_dir}')
    records = [json.loads(line) for line in open(logs[-1])]
    vals = [r for r in records if 'L1.mIoU' in r]
    if not vals:
        raise KeyError(f'{logs[-1]} holds no validation result')
    return vals[-1]


def fmt(value):
    return 'n/a' if value is None or (isinstance(value, float) and
                                      math.isnan(value)) else f'{value:.2f}'


def main():
    args = parse_args()
    work = osp.abspath(args.work_dir)
    results = []
    ckpts, stage1_tasks = [], []
    for seed in args.source_seeds:
        stage1 = osp.join(work, f'source_stage1_seed{seed}')
        ckpts.append(osp.join(stage1, f'iter_{args.source_iters}.pth'))
        reuse = args.reuse_source and osp.isfile(ckpts[-1])
        stage1_tasks.append((seed, stage1, reuse))

    def run_stage1(task):
        seed, stage1, reuse = task
        if reuse:
            return last_val_metrics(stage1), float('nan')
        return train(
            CONFIGS['source-only'], stage1,
            data_options(args.data_root, 'source-only') +
            schedule_options(args.source_iters) + [f'randomness.seed={seed}'])

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        stage1_runs = list(pool.map(run_stage1, stage1_tasks))
    for (seed, _, _), (metrics, seconds) in zip(stage1_tasks, stage1_runs):
        results.append((f'source-only (stage 1, seed {seed})',
                        args.source_iters, metrics, seconds))
    ckpt = ckpts[0]
    tasks = []
    for arm in args.arms:
        for seed in args.adapt_seeds:
            options = data_options(args.data_root, arm) + schedule_options(
                args.adapt_iters) + [
                    f'optim_wrapper.optimizer.lr={args.adapt_lr}',
                    f'randomness.seed={seed}'
                ]
            if arm == 'source-only':
                options.append(f'load_from={ckpt}')
            elif arm == 'MMT':
                options += [f'model.peer_init=[{",".join(ckpts[:2])}]'
                            ] + args.cfg_options
            else:
                options += [f'model.peer_init={ckpt}'] + args.cfg_options
            name = arm.replace(' ', '_')
            if len(args.adapt_seeds) > 1:
                name += f'_seed{seed}'
            tasks.append((arm, CONFIGS[arm], osp.join(work, name), options))
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        runs = list(pool.map(lambda t: train(*t[1:]), tasks))
    for arm in args.arms:
        arm_runs = [r for t, r in zip(tasks, runs) if t[0] == arm]
        metrics = {
            c: [m.get(c) for m, _ in arm_runs]
            for c in COLUMNS
        }
        results.append((arm, args.source_iters + args.adapt_iters, metrics,
                        statistics.mean(s for _, s in arm_runs)))
    print_table(results, len(args.adapt_seeds))


def cell(values):
    """One value, or 'mean ± std (v1, v2, ...)' over the adaptation seeds."""
    if not isinstance(values, list):
        return fmt(values)
    if len(values) == 1:
        return fmt(values[0])
    if any(v is None or math.isnan(v) for v in values):
        return 'n/a'
    mean, std = statistics.mean(values), statistics.stdev(values)
    return f'{mean:.2f} ± {std:.2f} (' + ', '.join(
        f'{v:.1f}' for v in values) + ')'


def print_table(results, num_seeds):
    header = ['method', 'iters'] + [f'target {c}' for c in COLUMNS] + [
        'wall s'
    ]
    rows = [[m, str(it)] + [cell(r.get(c)) for c in COLUMNS] +
            ['reused' if math.isnan(s) else f'{s:.0f}']
            for m, it, r, s in results]
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]
    line = ' | '.join(h.ljust(w) for h, w in zip(header, widths))
    print(line)
    print('-|-'.join('-' * w for w in widths))
    for row in rows:
        print(' | '.join(x.ljust(w) for x, w in zip(row, widths)))
    print('(L1/L2/L3: per tree level; mIoU: Cityscapes classes of the '
          'target; wall s: tools/train.py wall time of the arm' +
          (f'; adaptation arms: mean ± sample std over {num_seeds} seeds, '
           'then each seed' if num_seeds > 1 else '') + ')')


if __name__ == '__main__':
    main()
