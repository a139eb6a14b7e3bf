# Copyright (c) mmhier contributors. All rights reserved.
"""End to end in fresh processes: tools/train.py with PruningHook (an
iterative schedule that straddles a --resume), then tools/test.py on the
pruned checkpoint."""
import torch
from tiny_train_configs import FCN_TINY, config_text, fcn_two_iters
from tool_runs import run_tool


def _run(*args):
    return run_tool(*args).stdout


def test_prune_train_resume_test(tmp_path):
    from mmhier.datasets.synthetic import generate
    generate(str(tmp_path / 'data'), seed=0, num_train=2, num_val=1,
             datasets=['cityscapes'])
    root = str(tmp_path / 'data' / 'cityscapes')
    config = tmp_path / 'prune_cfg.py'
    config.write_text(config_text(
        FCN_TINY, fcn_two_iters(root, scheduler_end=4), """\
# step 1 before training, step 2 after iteration 3 (i.e. after the resume)
custom_hooks = [dict(type='PruningHook', ratio=0.5, iterative_steps=2,
                     interval=3)]
"""))
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
