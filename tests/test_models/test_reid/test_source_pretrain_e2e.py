# Copyright (c) mmhier contributors. All rights reserved.
"""End to end: MMT source pre-training (tiny config) through tools/train.py
on a freshly generated synthetic source domain, evaluated by ReIDMetric."""
import os
import os.path as osp
import re
import subprocess
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CONFIG = 'configs/mmt/reid_r18-tiny_1xb32-5e_synthetic-source-64x32.py'


def test_tiny_source_pretrain_trains_and_evaluates(tmp_path):
    from mmhier.datasets.synthetic import generate
    data = tmp_path / 'data'
    generate(str(data), seed=0, datasets=['reid_source'],
             num_reid_train_ids=8, num_reid_test_ids=6)
    root = str(data / 'reid_source')
    options = [
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        'model.head.num_classes=8',
        'train_dataloader.batch_size=16',
        'train_dataloader.sampler.batch_size=16',
        'train_dataloader.sampler.iters_per_epoch=4',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'train_cfg.max_epochs=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2',
        'param_scheduler.1.end=2', 'param_scheduler.1.milestones=[1]'
    ]
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', CONFIG, '--work-dir',
         str(tmp_path / 'work'), '--cfg-options', *options],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-6000:]
    losses = [float(v) for v in re.findall(r' loss: ([\d.]+)', proc.stdout)]
    assert losses and all(v == v for v in losses)  # logged and not NaN
    match = re.search(r'reid/mAP: ([\d.]+)\s+reid/top1: ([\d.]+)',
                      proc.stdout)
    assert match, proc.stdout[-3000:]
    assert 0.0 < float(match.group(1)) <= 100.0
    assert osp.isfile(tmp_path / 'work' / 'epoch_2.pth')
