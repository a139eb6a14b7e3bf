# Copyright (c) mmhier contributors. All rights reserved.
"""End to end: the tiny MMT config through tools/train.py on a tiny
synthetic target domain, then --resume from its checkpoint."""
import os.path as osp

import torch
from tool_runs import REPO, run_tool

from mmhier.datasets.synthetic import generate

CONFIG = osp.join(REPO, 'configs', 'mmt',
                  'mmt_r18-tiny_1xb16-8e_synthetic-source2target-64x32.py')


def _train(work_dir, root, max_epochs, val_interval, num_classes,
           resume=False):
    options = [
        'model.peer_init=None',
        f'model.model.head.num_classes={num_classes}',
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'custom_hooks.0.dataloader.dataset.data_root={root}',
        'custom_hooks.0.num_clusters=6',
        f'train_cfg.max_epochs={max_epochs}',
        f'train_cfg.val_interval={val_interval}',
        'train_dataloader.sampler.iters_per_epoch=2',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'default_hooks.logger.interval=1',
    ]
    cmd = ['tools/train.py', CONFIG, '--work-dir', str(work_dir)]
    if resume:
        cmd.append('--resume')
    cmd += ['--cfg-options'] + options
    return run_tool(*cmd).stdout  # stderr merged in


def test_tiny_mmt_train_and_resume(tmp_path):
    generate(
        str(tmp_path / 'data'),
        seed=0,
        num_reid_train_ids=8,
        num_reid_test_ids=4,
        datasets=['reid_target'])
    root = str(tmp_path / 'data' / 'reid_target')
    work_dir = tmp_path / 'work'
    log = _train(work_dir, root, max_epochs=1, val_interval=1, num_classes=6)
    assert 'ClusterPseudoLabelHook at epoch 0: 6 clusters' in log
    assert 'MeanNetHook: mean1 mAP=' in log

    ckpt = torch.load(work_dir / 'epoch_1.pth', weights_only=True)
    state = ckpt['state_dict']
    for net in ('peer1', 'peer2', 'mean1', 'mean2'):
        assert state[f'{net}.head.classifier.weight'].shape == (6, 128)
    labels = state['pseudo_labels']
    assert labels.shape == (65, ) and 0 <= int(labels.min())
    assert len(labels.unique()) > 1
    assert int(state['best_mean']) in (0, 1)
    # the mean nets moved towards, but are not, the peers
    assert not torch.equal(state['mean1.backbone.conv1.weight'],
                           state['peer1.backbone.conv1.weight'])

    # resume into a model built with another classifier size: the hook
    # resizes the classifiers before the weights and optimizer are loaded
    log = _train(
        work_dir, root, max_epochs=2, val_interval=3, num_classes=4,
        resume=True)
    assert 'Epoch(train) [2]' in log and 'Epoch(train) [1]' not in log
    assert 'ClusterPseudoLabelHook at epoch 1: 6 clusters' in log
    ckpt = torch.load(work_dir / 'epoch_2.pth', weights_only=True)
    assert ckpt['state_dict']['peer2.head.classifier.weight'].shape == (6,
                                                                        128)
