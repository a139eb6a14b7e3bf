# Copyright (c) OpenMMLab. All rights reserved.
"""What the experiment drivers in ``tools/experiments/`` share.

``run`` starts a repository tool in a subprocess, ``set_data_root`` moves a
config's datasets under another data root and ``derive_config`` gives a
config an experiment's iteration budget, seed, workers and data root. The
drivers import this module by name (``from common import ...``): Python puts
a script's own folder first on ``sys.path``.
"""
import os
import os.path as osp
import subprocess
import sys
from typing import Optional

from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def run(cmd, log_file: Optional[str] = None, threads: int = 0) -> str:
    """Run ``python cmd...`` from the repository root with the repository
    on ``PYTHONPATH``; write its output to ``log_file`` (when given) and
    return it. Raises ``RuntimeError`` with the output's tail on failure.

    Args:
        cmd (list[str]): the script (repository-relative) and its arguments.
        log_file (str, optional): where to write stdout + stderr.
        threads (int): ``OMP_NUM_THREADS`` for the child; 0 keeps ours.
    """
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    if threads:
        env['OMP_NUM_THREADS'] = str(threads)
    proc = subprocess.run([sys.executable] + list(cmd), cwd=REPO, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if log_file is not None:
        with open(log_file, 'w') as f:
            f.write(proc.stdout)
    if proc.returncode != 0:
        where = f', log {log_file}' if log_file else ''
        raise RuntimeError(f'{" ".join(cmd)} failed ({proc.returncode})'
                           f'{where}:\n{proc.stdout[-4000:]}')
    return proc.stdout


def set_data_root(node, data_root: str) -> int:
    """Point every dataset ``data_root`` at ``data_root/<its folder>`` (and
    the class-subset rule's ``train_ann_file`` under ``data_root``); returns
    how many ``data_root`` keys were changed."""
    count = 0
    if isinstance(node, dict):
        if 'data_root' in node:
            node['data_root'] = osp.join(data_root,
                                         osp.basename(node['data_root']))
            count += 1
        if node.get('train_ann_file'):
            # <root>/gtsdb/TrainIJCNN2013/gt.txt
            parts = node['train_ann_file'].split('/')
            node['train_ann_file'] = osp.join(data_root, *parts[-3:])
        for value in node.values():
            count += set_data_root(value, data_root)
    elif isinstance(node, (list, tuple)):
        for value in node:
            count += set_data_root(value, data_root)
    return count


def derive_config(path: str, args, iters: int) -> Config:
    """The config at ``path`` with a budget of ``iters`` iterations (one
    checkpoint and no validation at the end: the drivers score with
    ``tools/test.py``), ``args.seed``, ``args.num_workers`` and every
    dataloader's datasets under ``args.data_root``. Parameter schedulers
    are left to the driver."""
    cfg = Config.fromfile(path)
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters + 1  # scored by tools/test.py
    cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.logger.interval = max(1, min(50, iters // 10))
    cfg.randomness = dict(seed=args.seed)
    for loader in LOADERS:
        cfg[loader].num_workers = args.num_workers
        cfg[loader].persistent_workers = args.num_workers > 0
        if set_data_root(cfg[loader].dataset, args.data_root) == 0:
            raise ValueError(f'{path}: {loader} has no data_root')
    return cfg
