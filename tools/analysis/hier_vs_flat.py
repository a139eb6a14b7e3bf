# Copyright (c) mmhier contributors. All rights reserved.
"""Hierarchical vs flat on the synthetic three-dataset data (paper Tables
II/III of Meletis & Dubbelman, IV 2018).

Trains the tiny hierarchical model and its tiny flat baseline with the same
budget (iterations, batch and its 1:2:1 dataset ratio, optimiser, schedule,
seed) through ``tools/train.py``, evaluates both checkpoints with
``tools/test.py`` (the flat one with the paper's fair protocol, set in its
config) and prints, per dataset in its own label space, mPA and mIoU of
hierarchical, flat and hierarchical minus flat, then the per-level scores on
the tree (``HierIoUMetric``: L1 = root decision, L2, L3 = sign subclass) used
to explain the differences::

    python tools/analysis/hier_vs_flat.py --iters 1200 \\
        --work-dir work_dirs/hier_vs_flat --data-root data/synthetic

The data set comes from ``python tools/dataset_converters/generate_synthetic.py
--out-dir data/synthetic``. Each run writes its derived config, logs,
checkpoint and metrics (``metrics.json``) under ``--work-dir/<model>``;
``--skip-train`` re-evaluates existing checkpoints.
"""
import argparse
import copy
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

from mmengine.config import Config
from prettytable import PrettyTable

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HIER_CONFIG = ('configs/hier/'
               'hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py')
FLAT_CONFIG = ('configs/flat/'
               'flat_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py')
#: (dataset_name, row title) in the order of the paper's tables
DATASETS = (('cityscapes', 'Cityscapes'), ('mapillary_vistas', 'Vistas'),
            ('gtsdb', 'GTSDB (in boxes)'),
            ('cityscapes_extended', 'Cityscapes Extended (signs)'))
#: keys whose values must agree for the two models to share one budget
BUDGET_KEYS = ('optim_wrapper', 'param_scheduler', 'randomness')


def parse_args():
    parser = argparse.ArgumentParser(
        description='Train and compare the tiny hierarchical and flat models '
        'on the synthetic Cityscapes + Vistas + GTSDB data')
    parser.add_argument('--hier-config', default=HIER_CONFIG)
    parser.add_argument('--flat-config', default=FLAT_CONFIG)
    parser.add_argument(
        '--iters', type=int, default=1200,
        help='training iterations of each model (the lr is halved at 1/2, '
        '3/4 and 7/8 of them)')
    parser.add_argument('--work-dir', default='work_dirs/hier_vs_flat')
    parser.add_argument(
        '--data-root', default='data/synthetic',
        help='output of generate_synthetic.py (cityscapes/, '
        'mapillary_vistas/, gtsdb/, cityscapes_extended/)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--num-workers', type=int, default=2, help='dataloader workers')
    parser.add_argument(
        '--skip-train', action='store_true',
        help='evaluate the checkpoints already in --work-dir')
    return parser.parse_args()


def _set_data_root(node, data_root: str) -> int:
    """Point every dataset ``data_root`` at ``data_root/<its folder>``;
    returns how many were changed."""
    count = 0
    if isinstance(node, dict):
        if 'data_root' in node:
            node['data_root'] = osp.join(data_root,
                                         osp.basename(node['data_root']))
            count += 1
        for value in node.values():
            count += _set_data_root(value, data_root)
    elif isinstance(node, (list, tuple)):
        for value in node:
            count += _set_data_root(value, data_root)
    return count


def derive_config(path: str, args) -> Config:
    """The config with the experiment's budget, data root and per-level
    evaluators."""
    cfg = Config.fromfile(path)
    iters = args.iters
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters + 1  # evaluated by tools/test.py
    cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.logger.interval = max(1, min(50, iters // 10))
    if len(cfg.param_scheduler) != 1 or \
            cfg.param_scheduler[0].type != 'MultiStepLR':
        raise ValueError(f'{path}: expected one MultiStepLR scheduler')
    cfg.param_scheduler[0].milestones = [
        iters // 2, iters * 3 // 4, iters * 7 // 8
    ]
    cfg.param_scheduler[0].end = iters
    cfg.randomness = dict(seed=args.seed)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = args.num_workers
        cfg[loader].persistent_workers = args.num_workers > 0
        if _set_data_root(cfg[loader].dataset, args.data_root) == 0:
            raise ValueError(f'{path}: {loader} has no data_root')
    # per-level scores on the tree for every dataset, beside the
    # per-dataset scores in each dataset's own label space
    metric = copy.deepcopy(cfg.test_evaluator)
    levels = [
        dict(
            type='HierIoUMetric',
            taxonomy=metric.taxonomy,
            dataset_name=name,
            flat_coarse_nodes=metric.get('flat_coarse_nodes', []),
            fair_protocol=metric.get('fair_protocol', False),
            prefix=f'tree/{name}') for name, _ in DATASETS
    ]
    cfg.test_evaluator = [metric] + levels
    return cfg


def check_same_budget(hier: Config, flat: Config) -> None:
    """Fail unless both runs share the optimiser, schedule, seed, batch and
    its dataset ratio."""
    for key in BUDGET_KEYS:
        if hier[key] != flat[key]:
            raise ValueError(f'the two configs differ in {key}: '
                             f'{hier[key]} vs {flat[key]}')
    h, f = hier.train_dataloader, flat.train_dataloader
    if (h.batch_size, h.sampler) != (f.batch_size, f.sampler):
        raise ValueError('the two configs differ in batch size or sampler: '
                         f'{h.batch_size} {h.sampler} vs '
                         f'{f.batch_size} {f.sampler}')


def run(cmd, log_file: str) -> None:
    """Run ``python cmd...`` from the repository root, output to
    ``log_file``."""
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    proc = subprocess.run([sys.executable] + cmd, cwd=REPO, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    with open(log_file, 'w') as f:
        f.write(proc.stdout)
    if proc.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd)} failed ({proc.returncode}):\n'
                           f'{proc.stdout[-4000:]}')


def train_and_test(name: str, cfg: Config, args) -> dict:
    """Train (unless ``--skip-train``) and test one model; returns the
    test metrics and writes them to ``<work_dir>/<name>/metrics.json``."""
    work_dir = osp.abspath(osp.join(args.work_dir, name))
    os.makedirs(work_dir, exist_ok=True)
    cfg_path = osp.join(work_dir, f'{name}_config.py')
    cfg.dump(cfg_path)
    ckpt = osp.join(work_dir, f'iter_{args.iters}.pth')
    if not args.skip_train:
        print(f'[{name}] training {args.iters} iterations ...', flush=True)
        run(['tools/train.py', cfg_path, '--work-dir', work_dir],
            osp.join(work_dir, 'train.out'))
    if not osp.isfile(ckpt):
        raise FileNotFoundError(f'[{name}] no checkpoint {ckpt}')
    print(f'[{name}] testing {ckpt} ...', flush=True)
    test_dir = osp.join(work_dir, 'test')
    before = set(glob.glob(osp.join(test_dir, '*', '*.json')))
    run(['tools/test.py', cfg_path, ckpt, '--work-dir', test_dir],
        osp.join(work_dir, 'test.out'))
    new = sorted(set(glob.glob(osp.join(test_dir, '*', '*.json'))) - before)
    if not new:
        raise RuntimeError(f'[{name}] tools/test.py wrote no metrics json '
                           f'under {test_dir}')
    with open(new[-1]) as f:
        metrics = json.load(f)
    with open(osp.join(work_dir, 'metrics.json'), 'w') as f:
        json.dump(metrics, f, indent=1)
    return metrics


def comparison_table(hier: dict, flat: dict) -> PrettyTable:
    """Paper Table II/III layout: per dataset mPA and mIoU of both models
    and their difference."""
    table = PrettyTable([
        'Dataset', 'mPA hier', 'mPA flat', 'mPA diff', 'mIoU hier',
        'mIoU flat', 'mIoU diff'
    ])
    for name, title in DATASETS:
        row = [title]
        for metric in ('mPA', 'mIoU'):
            h, f = hier[f'{name}/{metric}'], flat[f'{name}/{metric}']
            row += [f'{h:.2f}', f'{f:.2f}', f'{h - f:+.2f}']
        table.add_row(row)
    return table


def level_table(hier: dict, flat: dict, depth: int) -> PrettyTable:
    """mIoU of each tree level's decision (L1 root, L2, L3) per dataset."""
    header = ['Dataset', 'model'] + [f'L{d} mIoU' for d in
                                     range(1, depth + 1)] + ['hAcc']
    table = PrettyTable(header)
    for name, title in DATASETS:
        for model, metrics in (('hier', hier), ('flat', flat)):
            prefix = f'tree/{name}/'
            table.add_row([title, model] + [
                metrics.get(f'{prefix}L{d}.mIoU', float('nan'))
                for d in range(1, depth + 1)
            ] + [metrics.get(f'{prefix}hAcc', float('nan'))])
    return table


def sign_subclass_scores(cfg_path: str, ckpt: str,
                         subtree: str = 'traffic sign front') -> dict:
    """Subclass decision *given the sign* on the box-only datasets.

    For every labelled pixel of a leaf under ``subtree`` the prediction is
    the best of those leaves only. For the hierarchical model this is the
    ``subtree`` classifier's own argmax (the ancestors' log-probabilities are
    shared by all its leaves); for the flat model the argmax over the same
    leaves' logits. Separates "is it a sign" (L1/L2 above) from "which
    sign". Returns ``{dataset: mPA}`` (mean per-class accuracy, %).
    """
    import numpy as np
    import torch
    from mmengine.dataset import pseudo_collate

    from mmhier.apis import init_hier_model, model_taxonomy
    from mmhier.registry import DATASETS

    model = init_hier_model(cfg_path, ckpt)
    tree = model_taxonomy(model)
    leaves = torch.as_tensor(tree.leaves_under(tree.node_id(subtree)))
    leaf_index = torch.as_tensor(np.asarray(tree.leaf_index))
    code_to_node = torch.as_tensor(np.asarray(tree.code_to_node))
    # leaf index -> position among the subtree's leaves, -1 elsewhere
    position = torch.full((tree.num_leaves + 1, ), -1, dtype=torch.long)
    position[leaves] = torch.arange(len(leaves))
    dataset = DATASETS.build(model.cfg.test_dataloader.dataset)
    conf = {}
    with torch.no_grad():
        for idx in range(len(dataset)):
            data = dataset[idx]
            name = data['data_samples'].metainfo['dataset_name']
            if name not in ('gtsdb', 'cityscapes_extended'):
                continue
            out = model.test_step(pseudo_collate([data]))[0]
            node = code_to_node[out.gt_sem_seg.data[0].long().cpu()]
            leaf = torch.where(node >= 0, leaf_index[node.clamp(min=0)],
                               torch.full_like(node, tree.num_leaves))
            gt = position[leaf]
            logits = out.seg_logits.data.cpu()[leaves]
            pred = logits.argmax(0)
            keep = gt >= 0
            k = len(leaves)
            counts = torch.bincount(
                gt[keep] * k + pred[keep], minlength=k * k).reshape(k, k)
            conf[name] = conf.get(name, 0) + counts
    scores = {}
    for name, counts in conf.items():
        counts = counts.double()
        recall = counts.diagonal() / counts.sum(1)
        scores[name] = round(float(recall[~recall.isnan()].mean()) * 100, 2)
    return scores


def main():
    args = parse_args()
    start = time.time()
    hier_cfg = derive_config(args.hier_config, args)
    flat_cfg = derive_config(args.flat_config, args)
    check_same_budget(hier_cfg, flat_cfg)
    times = {}
    results = {}
    for name, cfg in (('hier', hier_cfg), ('flat', flat_cfg)):
        t0 = time.time()
        results[name] = train_and_test(name, cfg, args)
        times[name] = time.time() - t0
    depth = max(
        int(k.split('/L')[1].split('.')[0]) for k in results['hier']
        if k.startswith('tree/') and '/L' in k)
    print(f'\nhierarchical ({args.hier_config}) vs flat '
          f'({args.flat_config}), {args.iters} iterations each, batch '
          f'{hier_cfg.train_dataloader.batch_size} (Cityscapes:Vistas:GTSDB '
          f'{":".join(map(str, hier_cfg.train_dataloader.sampler.source_ratio))}'
          f'), seed {args.seed}; flat scored with the fair protocol')
    print(comparison_table(results['hier'], results['flat']))
    print('per tree level (L1 = root decision, end-to-end):')
    print(level_table(results['hier'], results['flat'], depth))
    print(f'sign subclass given the sign (mPA over the '
          f'{"traffic sign front"!r} leaves, best of them only; chance '
          f'= 1/43 = 2.33):')
    table = PrettyTable(['Dataset', 'hier', 'flat', 'diff'])
    subclass = {
        name: sign_subclass_scores(
            osp.join(args.work_dir, name, f'{name}_config.py'),
            osp.join(args.work_dir, name, f'iter_{args.iters}.pth'))
        for name in ('hier', 'flat')
    }
    for name, title in DATASETS[2:]:
        h, f = subclass['hier'].get(name), subclass['flat'].get(name)
        table.add_row([title, h, f, f'{h - f:+.2f}'])
    print(table)
    print(f'wall time: hier {times["hier"]:.0f} s, flat {times["flat"]:.0f} '
          f's, total {time.time() - start:.0f} s')


if __name__ == '__main__':
    main()
