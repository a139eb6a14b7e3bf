# Copyright (c) mmhier contributors. All rights reserved.
"""Source-only vs MMT on the synthetic two-domain re-ID data.

Runs, through ``tools/train.py`` / ``tools/test.py`` in subprocesses:

1. source pre-training on ``reid_source`` (CE + triplet), tiny config;
2. evaluation of that model on the ``reid_target`` query/gallery split
   (the source-only baseline);
3. MMT adaptation on the unlabelled ``reid_target`` train split, both peers
   initialised from the source checkpoint;
4. evaluation of the adapted mean net on the same target split;

then prints target mAP / CMC side by side with the wall time::

    python tools/experiments/mmt_reid_experiment.py \\
        --work-dir work_dirs/mmt_exp
"""
import argparse
import os.path as osp
import re
import time

from common import run

SOURCE_CFG = 'configs/mmt/reid_r18-tiny_1xb32-5e_synthetic-source-64x32.py'
MMT_CFGS = dict(
    kmeans='configs/mmt/'
    'mmt_r18-tiny_1xb16-8e_synthetic-source2target-64x32.py',
    dbscan='configs/mmt/'
    'mmt-dbscan_r18-tiny_1xb16-8e_synthetic-source2target-64x32.py')
METRIC_RE = re.compile(r'reid/mAP: ([\d.]+)\s+reid/top1: ([\d.]+)\s+'
                       r'reid/top5: ([\d.]+)\s+reid/top10: ([\d.]+)')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/mmt_reid_experiment')
    parser.add_argument('--data-root', default='data/synthetic')
    parser.add_argument(
        '--mode', choices=sorted(MMT_CFGS), default='kmeans',
        help='clustering of the MMT stage')
    parser.add_argument(
        '--mmt-epochs', type=int, default=None,
        help='override the MMT stage length (config default: 8)')
    return parser.parse_args()


def last_metrics(log):
    found = METRIC_RE.findall(log)
    if not found:
        raise SystemExit('no reid/mAP line in the output')
    return [float(v) for v in found[-1]]


def main():
    args = parse_args()
    start = time.time()
    source_root = osp.join(args.data_root, 'reid_source')
    target_root = osp.join(args.data_root, 'reid_target')
    if not (osp.isdir(source_root) and osp.isdir(target_root)):
        run(['tools/dataset_converters/generate_synthetic.py', '--out-dir',
             args.data_root])

    src_dir = osp.join(args.work_dir, 'source')
    run(['tools/train.py', SOURCE_CFG, '--work-dir', src_dir,
         '--cfg-options', f'train_dataloader.dataset.data_root={source_root}',
         f'val_dataloader.dataset.data_root={source_root}',
         f'test_dataloader.dataset.data_root={source_root}'])
    with open(osp.join(src_dir, 'last_checkpoint')) as f:
        src_ckpt = f.read().strip()
    target_test = [
        f'test_dataloader.dataset.data_root={target_root}',
        'test_dataloader.dataset.num_cameras=8'
    ]
    source_only = last_metrics(
        run(['tools/test.py', SOURCE_CFG, src_ckpt, '--work-dir',
             osp.join(args.work_dir, 'source_test'), '--cfg-options',
             *target_test]))

    mmt_cfg = MMT_CFGS[args.mode]
    mmt_dir = osp.join(args.work_dir, f'mmt_{args.mode}')
    options = [
        f'model.peer_init=[{src_ckpt}]',
        f'train_dataloader.dataset.data_root={target_root}',
        f'val_dataloader.dataset.data_root={target_root}',
        f'test_dataloader.dataset.data_root={target_root}',
        f'custom_hooks.0.dataloader.dataset.data_root={target_root}'
    ]
    if args.mmt_epochs:
        options += [f'train_cfg.max_epochs={args.mmt_epochs}']
    run(['tools/train.py', mmt_cfg, '--work-dir', mmt_dir, '--cfg-options',
         *options])
    with open(osp.join(mmt_dir, 'last_checkpoint')) as f:
        mmt_ckpt = f.read().strip()
    adapted = last_metrics(
        run(['tools/test.py', mmt_cfg, mmt_ckpt, '--work-dir',
             osp.join(args.work_dir, 'mmt_test'), '--cfg-options', *options]))

    rows = [('source only', source_only), (f'MMT ({args.mode})', adapted)]
    print('\nTarget domain (synthetic reid_target, query/gallery):')
    print(f'| {"model":<16} | {"mAP":>6} | {"top-1":>6} | {"top-5":>6} | '
          f'{"top-10":>6} |')
    print(f'|{"-" * 18}|{"-" * 8}|{"-" * 8}|{"-" * 8}|{"-" * 8}|')
    for name, vals in rows:
        print(f'| {name:<16} | ' + ' | '.join(f'{v:6.2f}' for v in vals) +
              ' |')
    gain = adapted[0] - source_only[0]
    print(f'MMT - source only: {gain:+.2f} mAP, '
          f'{adapted[1] - source_only[1]:+.2f} top-1')
    print(f'wall time: {time.time() - start:.0f} s')


if __name__ == '__main__':
    main()
