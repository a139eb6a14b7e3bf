# Copyright (c) mmhier contributors. All rights reserved.
"""Two-process gloo DDP: rank 0 decides the pruning plan, both ranks apply
it and keep training; the two ranks end with identical models."""
import os
import os.path as osp
import signal
import socket
import subprocess
import sys

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
BASE = osp.join(REPO, 'configs', 'baselines',
                'fcn_r18-tiny-d8_1xb4-100i_synthetic-cityscapes-128x128.py')

DUMP_HOOK = '''
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmhier.registry import HOOKS


@HOOKS.register_module()
class DumpRankModelHook(Hook):
    priority = 'LOWEST'

    def after_train(self, runner):
        model = runner.model.module
        torch.save(model.state_dict(),
                   f'{runner.work_dir}/rank{get_rank()}.pth')
'''


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_two_rank_train(config, work, extra_path, timeout=300) -> str:
    """``tools/train.py`` in two gloo processes (``torchrun``) with
    ``extra_path`` importable; returns the output. A run that exceeds
    ``timeout`` (e.g. a rank alone in a collective) is killed with its
    workers (own session) and fails the test."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join(
        [REPO, str(extra_path), env.get('PYTHONPATH', '')])
    cmd = [
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
        '2', '--master_addr', '127.0.0.1', '--master_port',
        str(_free_port()), 'tools/train.py',
        str(config), '--work-dir',
        str(work), '--launcher', 'pytorch'
    ]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f'torchrun did not finish in {timeout} s (a rank '
                    f'waiting alone in a collective?):\n{out[-3000:]}')
    if proc.returncode != 0:
        pytest.fail(f'torchrun exited with {proc.returncode}:\n'
                    f'{out[-6000:]}')
    return out


def test_two_rank_pruning_gives_identical_models(tmp_path):
    from mmhier.datasets.synthetic import generate
    generate(str(tmp_path / 'data'), seed=0, num_train=4, num_val=1,
             datasets=['cityscapes'])
    root = str(tmp_path / 'data' / 'cityscapes')
    (tmp_path / 'dump_rank_model_hook.py').write_text(DUMP_HOOK)
    config = tmp_path / 'ddp_cfg.py'
    config.write_text(f"""
_base_ = [{BASE!r}]
custom_imports = dict(imports=['mmhier', 'dump_rank_model_hook'],
                      allow_failed_imports=False)
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root={root!r}))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root={root!r}))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2, val_interval=1000)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0,
                        end=2, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=2), logger=dict(interval=1))
# Taylor importance depends on the batch, and the ranks see different
# batches: only a broadcast plan keeps them identical.
custom_hooks = [dict(type='PruningHook', ratio=0.5, importance='taylor'),
                dict(type='DumpRankModelHook')]
""")
    work = tmp_path / 'work'
    out = run_two_rank_train(config, work, tmp_path)
    assert 'PruningHook step 1/1' in out
    rank0 = torch.load(work / 'rank0.pth', weights_only=True)
    rank1 = torch.load(work / 'rank1.pth', weights_only=True)
    assert rank0['backbone.layer1.0.conv1.weight'].shape[0] == 8
    assert [(k, v.shape) for k, v in rank0.items()] == \
        [(k, v.shape) for k, v in rank1.items()]
    # parameters are all-reduced; BN running statistics are per rank
    # (non-Sync BN, broadcast_buffers=False) and may differ
    for key in rank0:
        if not key.endswith(('running_mean', 'running_var',
                             'num_batches_tracked')):
            assert torch.equal(rank0[key], rank1[key]), key
    ckpt = torch.load(work / 'iter_2.pth', weights_only=True)
    assert len(ckpt['meta']['pruning_history']['records']) == 1
