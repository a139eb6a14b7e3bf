# Copyright (c) mmhier contributors. All rights reserved.
"""End to end in fresh processes: tools/train.py with PruningHook (an
iterative schedule that straddles a --resume), then tools/test.py on the
pruned checkpoint."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE = osp.join(REPO, 'configs', 'baselines',
                'fcn_r18-tiny-d8_1xb4-100i_synthetic-cityscapes-128x128.py')


def _run(*args):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    proc = subprocess.run([sys.executable, *args], cwd=REPO, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(f'{args} exited with {proc.returncode}:\n'
                    f'{proc.stdout[-5000:]}')
    return proc.stdout


def test_prune_train_resume_test(tmp_path):
    from mmhier.datasets.synthetic import generate
    generate(str(tmp_path / 'data'), seed=0, num_train=2, num_val=1,
             datasets=['cityscapes'])
    root = str(tmp_path / 'data' / 'cityscapes')
    config = tmp_path / 'prune_cfg.py'
    config.write_text(f"""
_base_ = [{BASE!r}]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root={root!r}))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root={root!r}))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2, val_interval=1000)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0,
                        end=4, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=2), logger=dict(interval=1))
# step 1 before training, step 2 after iteration 3 (i.e. after the resume)
custom_hooks = [dict(type='PruningHook', ratio=0.5, iterative_steps=2,
                     interval=3)]
""")
    work = tmp_path / 'work'
    out = _run('tools/train.py', str(config), '--work-dir', str(work))
    assert 'PruningHook step 1/2' in out and 'step 2/2' not in out
    first = torch.load(work / 'iter_2.pth', weights_only=True)
    assert len(first['meta']['pruning_history']['records']) == 1

    out = _run('tools/train.py', str(config), '--work-dir', str(work),
               '--resume', str(work / 'iter_2.pth'), '--cfg-options',
               'train_cfg.max_iters=4')
    assert 'replayed 1 pruning records' in out
    assert 'PruningHook step 2/2' in out
    ckpt = torch.load(work / 'iter_4.pth', weights_only=True)
    records = ckpt['meta']['pruning_history']['records']
    assert [r['step'] for r in records] == [1, 2]
    weight = ckpt['state_dict']['backbone.layer1.0.conv1.weight']
    assert weight.shape[0] == 8  # 16 channels, 50% pruned
    # SGD state saved after pruning: one momentum buffer per pruned param
    state = ckpt['optimizer']['state']
    assert len(state) == len(ckpt['state_dict']) - sum(
        k.endswith(('running_mean', 'running_var', 'num_batches_tracked'))
        for k in ckpt['state_dict'])

    out = _run('tools/test.py', str(config), str(work / 'iter_4.pth'),
               '--work-dir', str(tmp_path / 'test'))
    assert 'replayed 2 pruning records' in out and 'mIoU' in out
