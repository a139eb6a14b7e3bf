# Copyright (c) mmhier contributors. All rights reserved.
"""Hierarchical vs flat on the synthetic three-dataset data, in the layout of
Tables II and III of Meletis & Dubbelman, "Training of Convolutional
Networks on Multiple Heterogeneous Datasets for Street Scene Semantic
Segmentation", IEEE IV 2018.

Models, all with the same budget (iterations, batch of 4, optimiser,
schedule, seed; the script refuses to run if they differ):

* ``hier``: the tiny hierarchical model trained on Cityscapes, Vistas and
  GTSDB (boxes) at once, 1:2:1 batches (Table III), tested with the greedy
  top-down rule (the paper's, Sec. III-C) and with the soft rule;
* ``flat_cityscapes``, ``flat_vistas``, ``flat_gtsdb``: single-dataset flat
  baselines (Table II columns 1-3); the GTSDB one trains on the sign
  outlines plus an extra "unlabeled" class, as the paper's;
* ``flat_joint``: one flat model over the union of the label spaces trained
  on the three datasets (GTSDB outlines as per-pixel labels), scored with
  the paper's fair protocol: the Table II column 4 baseline for Cityscapes
  Extended (the paper's trains on Cityscapes + GTSDB only).

Every model is tested with ``tools/test.py``. The script prints mPA and
mIoU per dataset in its own label space (GTSDB inside the boxes and on the
sign outlines; all 43 sign classes and the paper's class subset), the
hierarchical minus flat differences, and the per-level read-outs that explain
them (``HierIoUMetric``: the root's recall of sign pixels, and each level's
accuracy on the pixels the levels above routed correctly)::

    python tools/dataset_converters/generate_synthetic.py \\
        --out-dir data/synthetic
    python tools/experiments/hier_vs_flat.py --iters 800 --jobs 2 \\
        --work-dir work_dirs/hier_vs_flat --data-root data/synthetic

Each run writes its derived config, logs, checkpoint and ``metrics.json``
under ``--work-dir/<model>``; ``--skip-train`` re-tests existing checkpoints.
"""
import argparse
import copy
import glob
import json
import os
import os.path as osp
import time
from concurrent.futures import ThreadPoolExecutor

from mmengine.config import Config
from prettytable import PrettyTable

import common
from common import run

_TINY = 'r18-tiny-d8_1xb4-800i_synthetic'
HIER_CONFIG = f'configs/hier/hier_{_TINY}-cvg-128x128.py'
FLAT_CONFIG = f'configs/flat/flat_{_TINY}-cvg-128x128.py'
#: model name -> config (the trainings of the experiment)
MODELS = dict(
    hier=HIER_CONFIG,
    flat_joint=FLAT_CONFIG,
    flat_cityscapes=f'configs/flat/flat_{_TINY}-cityscapes-128x128.py',
    flat_vistas=f'configs/flat/flat_{_TINY}-vistas-128x128.py',
    flat_gtsdb=f'configs/flat/flat_{_TINY}-gtsdb-128x128.py')
#: (metrics key prefix, column title, flat model of the paper's protocol)
COLUMNS = (
    ('cityscapes', 'Cityscapes', 'flat_cityscapes'),
    ('mapillary_vistas', 'Vistas', 'flat_vistas'),
    ('gtsdb', 'GTSDB boxes', 'flat_gtsdb'),
    ('gtsdb_outlines', 'GTSDB outlines', 'flat_gtsdb'),
    ('cityscapes_extended', 'Cityscapes Ext.', 'flat_joint'),
)
#: dataset names scored per tree level
LEVEL_DATASETS = ('cityscapes', 'mapillary_vistas', 'gtsdb',
                  'gtsdb_outlines', 'cityscapes_extended')
#: keys whose values must agree for the models to share one budget
BUDGET_KEYS = ('optim_wrapper', 'param_scheduler', 'randomness')


def parse_args():
    parser = argparse.ArgumentParser(
        description='Train and compare the tiny hierarchical model with the '
        'paper-protocol flat baselines on the synthetic Cityscapes + Vistas '
        '+ GTSDB data')
    parser.add_argument(
        '--iters', type=int, default=800,
        help='training iterations of every model (the lr is halved at 1/2, '
        '3/4 and 7/8 of them)')
    parser.add_argument(
        '--hier-config', default=HIER_CONFIG,
        help='config of the hierarchical model (e.g. an ablation)')
    parser.add_argument('--work-dir', default='work_dirs/hier_vs_flat')
    parser.add_argument(
        '--data-root', default='data/synthetic',
        help='output of generate_synthetic.py (cityscapes/, '
        'mapillary_vistas/, gtsdb/, cityscapes_extended/)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--models', nargs='+', default=list(MODELS), choices=list(MODELS),
        help='which trainings to run (default: all)')
    parser.add_argument(
        '--jobs', type=int, default=1,
        help='trainings run at once (each with OMP_NUM_THREADS=1 when > 1)')
    parser.add_argument(
        '--rules', nargs='+', default=['greedy', 'soft'],
        choices=['greedy', 'soft'],
        help='decision rules the hierarchical model is tested with')
    parser.add_argument(
        '--num-workers', type=int, default=2, help='dataloader workers')
    parser.add_argument(
        '--gtsdb-copy-paste', type=int, default=0, metavar='N',
        help='paste up to N GTSDB boxes from earlier crops into every '
        'GTSDB training crop of every model (BoxCopyPaste), unless its '
        'config already does; 0: as the configs say')
    parser.add_argument(
        '--skip-train', action='store_true',
        help='test the checkpoints already in --work-dir')
    return parser.parse_args()


def _sources(dataset) -> list:
    """The datasets of a ``HierConcatDataset`` config, else ``[dataset]``."""
    if dataset.get('type') == 'HierConcatDataset':
        return dataset.datasets
    return [dataset]


def _dataset_names(cfg: Config) -> list:
    """``dataset_name`` of every test dataset (mmhier defaults when unset)."""
    defaults = dict(HierCityscapesDataset='cityscapes',
                    HierMapillaryVistasDataset='mapillary_vistas',
                    GTSDBDataset='gtsdb',
                    CityscapesExtendedDataset='cityscapes_extended')
    names = []
    for item in _sources(cfg.test_dataloader.dataset):
        names.append(item.get('dataset_name', defaults.get(item.type)))
    return names


def derive_config(path: str, args) -> Config:
    """The config with the experiment's budget, data root and per-level
    evaluators."""
    cfg = common.derive_config(path, args, args.iters)
    iters = args.iters
    if len(cfg.param_scheduler) != 1 or \
            cfg.param_scheduler[0].type != 'MultiStepLR':
        raise ValueError(f'{path}: expected one MultiStepLR scheduler')
    cfg.param_scheduler[0].milestones = [
        iters // 2, iters * 3 // 4, iters * 7 // 8
    ]
    cfg.param_scheduler[0].end = iters
    metric = copy.deepcopy(cfg.test_evaluator)
    common.set_data_root(metric, args.data_root)
    # per-level scores on the tree for every dataset, beside the
    # per-dataset scores in each dataset's own label space
    levels = [
        dict(
            type='HierIoUMetric',
            taxonomy=metric.taxonomy,
            dataset_name=name,
            flat_coarse_nodes=metric.get('flat_coarse_nodes', []),
            fair_protocol=metric.get('fair_protocol', False),
            recall_nodes=['traffic sign'],
            prefix=f'tree/{name}')
        for name in _dataset_names(cfg) if name in LEVEL_DATASETS
    ]
    cfg.test_evaluator = [metric] + levels
    if getattr(args, 'gtsdb_copy_paste', 0):
        for pipeline in _gtsdb_train_pipelines(cfg):
            if not any(t['type'] == 'BoxCopyPaste' for t in pipeline):
                pipeline.insert(-1, dict(type='BoxCopyPaste',
                                         max_num_pasted=args.gtsdb_copy_paste))
    return cfg


def _gtsdb_train_pipelines(cfg: Config) -> list:
    """The pipelines of the GTSDB datasets ``cfg`` trains on."""
    return [item.pipeline for item in _sources(cfg.train_dataloader.dataset)
            if item.type == 'GTSDBDataset']


def _copy_paste(cfg: Config) -> list:
    """The ``BoxCopyPaste`` steps of each GTSDB training pipeline."""
    return [[t for t in pipeline if t['type'] == 'BoxCopyPaste']
            for pipeline in _gtsdb_train_pipelines(cfg)]


def check_same_budget(cfgs: dict) -> None:
    """Fail unless all runs share the optimiser, schedule, seed and batch
    size (the joint models also their dataset ratio)."""
    names = list(cfgs)
    ref = cfgs[names[0]]
    for name in names[1:]:
        cfg = cfgs[name]
        for key in BUDGET_KEYS + ('train_cfg', ):
            if ref[key] != cfg[key]:
                raise ValueError(f'{names[0]} and {name} differ in {key}: '
                                 f'{ref[key]} vs {cfg[key]}')
        if ref.train_dataloader.batch_size != cfg.train_dataloader.batch_size:
            raise ValueError(f'{names[0]} and {name} differ in batch size')
        if _gtsdb_train_pipelines(ref) and _gtsdb_train_pipelines(cfg) \
                and _copy_paste(ref)[0] != _copy_paste(cfg)[0]:
            raise ValueError(
                f'{names[0]} and {name} differ in the copy-paste of GTSDB '
                f'boxes: {_copy_paste(ref)[0]} vs {_copy_paste(cfg)[0]} '
                '(--gtsdb-copy-paste N gives it to every model)')
        sampler = cfg.train_dataloader.sampler
        if sampler.type == ref.train_dataloader.sampler.type and \
                sampler != ref.train_dataloader.sampler:
            raise ValueError(f'{names[0]} and {name} differ in sampler: '
                             f'{ref.train_dataloader.sampler} vs {sampler}')


def test(name: str, cfg_path: str, ckpt: str, work_dir: str, tag: str,
         options=(), threads: int = 0) -> dict:
    """``tools/test.py`` on one checkpoint; returns the metrics it wrote."""
    test_dir = osp.join(work_dir, f'test_{tag}')
    before = set(glob.glob(osp.join(test_dir, '*', '*.json')))
    cmd = ['tools/test.py', cfg_path, ckpt, '--work-dir', test_dir]
    if options:
        cmd += ['--cfg-options'] + list(options)
    run(cmd, osp.join(work_dir, f'test_{tag}.out'), threads)
    new = sorted(set(glob.glob(osp.join(test_dir, '*', '*.json'))) - before)
    if not new:
        raise RuntimeError(f'[{name}] tools/test.py wrote no metrics json '
                           f'under {test_dir}')
    with open(new[-1]) as f:
        return json.load(f)


def train_and_test(name: str, cfg: Config, args, threads: int = 0) -> dict:
    """Train (unless ``--skip-train``) and test one model; returns
    ``{decision rule: metrics}`` (``'flat'`` for a flat model) and writes
    them to ``<work_dir>/<name>/metrics.json``."""
    work_dir = osp.abspath(osp.join(args.work_dir, name))
    os.makedirs(work_dir, exist_ok=True)
    cfg_path = osp.join(work_dir, f'{name}_config.py')
    cfg.dump(cfg_path)
    ckpt = osp.join(work_dir, f'iter_{args.iters}.pth')
    start = time.time()
    if not args.skip_train:
        print(f'[{name}] training {args.iters} iterations ...', flush=True)
        run(['tools/train.py', cfg_path, '--work-dir', work_dir],
            osp.join(work_dir, 'train.out'), threads)
    if not osp.isfile(ckpt):
        raise FileNotFoundError(f'[{name}] no checkpoint {ckpt}')
    print(f'[{name}] testing {ckpt} ...', flush=True)
    results = {}
    if cfg.model.decode_head.type == 'HierarchicalDecodeHead':
        for rule in args.rules:
            results[rule] = test(
                name, cfg_path, ckpt, work_dir, rule,
                [f'model.decode_head.decision={rule}'], threads)
    else:
        results['flat'] = test(name, cfg_path, ckpt, work_dir, 'flat',
                               threads=threads)
    results['seconds'] = round(time.time() - start, 1)
    with open(osp.join(work_dir, 'metrics.json'), 'w') as f:
        json.dump(results, f, indent=1)
    return results


def _get(metrics: dict, key: str) -> float:
    return float(metrics.get(key, float('nan')))


def _fmt(value: float) -> str:
    return 'nan' if value != value else f'{value:.2f}'


def paper_tables(results: dict) -> str:
    """Tables II / III side by side: per column (dataset) the flat model of
    the paper's protocol, the hierarchical model with both decision rules
    and hierarchical (greedy) minus flat; mPA and mIoU over all classes and,
    for the sign datasets, over the paper's class subset."""
    header = ['metric', 'model'] + [title for _, title, _ in COLUMNS]
    table = PrettyTable(header)
    for metric in ('mPA', 'mIoU', 'subset.mPA', 'subset.mIoU'):
        rows = {}
        for label, pick in (
                ('flat (Table II)', lambda c: results.get(c[2], {}).get(
                    'flat', {})),
                ('hier greedy (III)', lambda c: results.get('hier', {}).get(
                    'greedy', {})),
                ('hier soft', lambda c: results.get('hier', {}).get(
                    'soft', {}))):
            rows[label] = [_get(pick(c), f'{c[0]}/{metric}')
                           for c in COLUMNS]
        rows['hier - flat'] = [
            h - f for h, f in zip(rows['hier greedy (III)'],
                                  rows['flat (Table II)'])
        ]
        if all(v != v for v in rows['hier greedy (III)']):
            continue  # e.g. no subset view scored
        for label, values in rows.items():
            fmt = (lambda v: 'nan' if v != v else f'{v:+.2f}') \
                if label == 'hier - flat' else _fmt
            table.add_row([metric, label] + [fmt(v) for v in values])
    return table.get_string()


def level_table(results: dict) -> str:
    """Per-level read-outs of the hierarchical model (greedy rule): the
    root's recall of sign pixels, each level's accuracy given the path
    above, the end-to-end leaf mPA on the tree."""
    table = PrettyTable(['dataset', 'model', 'root recall of "traffic sign"',
                         'L1 given path', 'L2 given path', 'L3 given path'])
    for model, rule in (('hier', 'greedy'), ('hier', 'soft'),
                        ('flat_joint', 'flat')):
        metrics = results.get(model, {}).get(rule)
        if not metrics:
            continue
        for name in LEVEL_DATASETS:
            prefix = f'tree/{name}/'
            if not any(k.startswith(prefix) for k in metrics):
                continue
            table.add_row([name, f'{model} {rule}'] + [
                _fmt(_get(metrics, prefix + key)) for key in (
                    'recall.traffic_sign', 'L1.given_path', 'L2.given_path',
                    'L3.given_path')
            ])
    return table.get_string()


def main():
    args = parse_args()
    start = time.time()
    paths = dict(MODELS, hier=args.hier_config)
    cfgs = {name: derive_config(paths[name], args) for name in args.models}
    check_same_budget(cfgs)
    threads = 1 if args.jobs > 1 else 0
    # longest first so that parallel runs finish together
    order = sorted(cfgs, key=lambda n: n != 'hier')
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {
            name: pool.submit(train_and_test, name, cfgs[name], args, threads)
            for name in order
        }
        results = {name: f.result() for name, f in futures.items()}
    print(f'\nhierarchical vs flat (Meletis & Dubbelman, IV 2018, Tables '
          f'II/III layout), {args.iters} iterations each, batch 4, seed '
          f'{args.seed}; flat columns: single-dataset flat models, Cityscapes '
          f'Extended: the joint flat model with the fair protocol; GTSDB '
          f'boxes = inside the boxes, outlines = on the sign outlines; '
          f'subset = the paper\'s sign-class subset')
    print(paper_tables(results))
    print('per tree level (root recall of sign pixels, accuracy of each '
          'level on the pixels the levels above routed correctly):')
    print(level_table(results))
    times = ', '.join(f'{n} {r["seconds"]:.0f} s' for n, r in results.items())
    print(f'wall time: {times}; total {time.time() - start:.0f} s')


if __name__ == '__main__':
    main()
