# Copyright (c) mmhier contributors. All rights reserved.
"""End to end: segmentation MMT through tools/train.py on a tiny synthetic
source/target pair; resuming mid-adaptation restores the four nets and
continues exactly as the uninterrupted run."""
import os.path as osp

import torch
from tool_runs import REPO, run_tool

from mmhier.datasets.synthetic import generate

CONFIG = osp.join(
    REPO, 'configs', 'mmt',
    'mmt-seg_r18-tiny-d8_1xb4-400i_synthetic-cityscapes2target-128x128.py')


def _train(work_dir, root, resume=None, val_interval=3):
    options = [
        'model.peer_init=None',
        f'train_dataloader.dataset.datasets.0.data_root={root}/cityscapes',
        f'train_dataloader.dataset.datasets.1.data_root='
        f'{root}/cityscapes_target',
        f'val_dataloader.dataset.data_root={root}/cityscapes_target',
        'train_cfg.max_iters=3',
        f'train_cfg.val_interval={val_interval}',
        'default_hooks.checkpoint.interval=1',
        'default_hooks.logger.interval=1',
    ]
    for loader in ('train_dataloader', 'val_dataloader'):
        options += [f'{loader}.num_workers=0',
                    f'{loader}.persistent_workers=False']
    cmd = ['tools/train.py', CONFIG, '--work-dir', str(work_dir)]
    if resume:
        cmd += ['--resume', str(resume)]
    cmd += ['--cfg-options'] + options
    return run_tool(*cmd).stdout  # stderr merged in


def test_seg_mmt_train_and_resume_mid_adaptation(tmp_path):
    root = str(tmp_path / 'data')
    generate(root, seed=0, num_train=2, num_val=1,
             datasets=['cityscapes', 'cityscapes_target'])
    log = _train(tmp_path / 'full', root)
    assert 'loss_soft_2' in log and 'L1.mIoU' in log
    full = torch.load(tmp_path / 'full' / 'iter_3.pth', weights_only=True)
    half = torch.load(tmp_path / 'full' / 'iter_2.pth', weights_only=True)
    state = full['state_dict']
    nets = ('peer1', 'peer2', 'mean1', 'mean2')
    key = 'decode_head.classifiers.0.weight'
    # the peers trained, the mean nets followed them, and they all differ
    assert not torch.equal(state[f'peer1.{key}'], half['state_dict'][
        f'peer1.{key}'])
    assert not torch.equal(state[f'mean1.{key}'], state[f'peer1.{key}'])
    assert not torch.equal(state[f'peer1.{key}'], state[f'peer2.{key}'])

    log = _train(tmp_path / 'resumed', root,
                 resume=tmp_path / 'full' / 'iter_2.pth', val_interval=10)
    assert 'resumed' in log.lower()
    assert 'Iter(train) [3/3]' in log and 'Iter(train) [1/3]' not in log
    resumed = torch.load(
        tmp_path / 'resumed' / 'iter_3.pth', weights_only=True)['state_dict']
    for net in nets:
        names = [k for k in state if k.startswith(net + '.')]
        assert names, net
        for k in names:
            torch.testing.assert_close(resumed[k], state[k], msg=k)
