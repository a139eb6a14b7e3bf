# Copyright (c) mmhier contributors. All rights reserved.
"""Taylor pruning under two-process gloo DDP of a re-ID model whose
triplet loss gathers every rank's features (``across_ranks=True``): every
rank runs the importance pass (a rank alone in the loss's collectives
would wait forever), rank 0 decides, both ranks end identical."""
import os
import os.path as osp
import signal
import subprocess
import sys

import pytest
import torch

from .test_ddp_pruning import DUMP_HOOK, REPO, _free_port

CONFIG = osp.join(REPO, 'configs', 'mmt',
                  'reid_r18-tiny_1xb32-5e_synthetic-source-64x32.py')


def test_two_rank_taylor_pruning_of_reid_model(tmp_path):
    from mmhier.datasets.synthetic import generate
    generate(str(tmp_path / 'data'), seed=0, datasets=['reid_source'],
             num_reid_train_ids=8, num_reid_test_ids=6)
    root = str(tmp_path / 'data' / 'reid_source')
    (tmp_path / 'dump_rank_model_hook.py').write_text(DUMP_HOOK)
    config = tmp_path / 'ddp_taylor_reid.py'
    config.write_text(f"""
_base_ = [{CONFIG!r}]
custom_imports = dict(imports=['mmhier', 'dump_rank_model_hook'],
                      allow_failed_imports=False)
model = dict(head=dict(num_classes=8))
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    sampler=dict(batch_size=8, iters_per_epoch=2),
    dataset=dict(data_root={root!r}))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root={root!r}))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=5)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True,
                        begin=0, end=1)]
default_hooks = dict(checkpoint=dict(interval=1, save_best=None),
                     logger=dict(interval=1))
custom_hooks = [dict(type='PruningHook', ratio=0.5, importance='taylor',
                     layers=[r'^backbone\\.']),
                dict(type='DumpRankModelHook')]
""")
    work = tmp_path / 'work'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join(
        [REPO, str(tmp_path), env.get('PYTHONPATH', '')])
    cmd = [
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node',
        '2', '--master_addr', '127.0.0.1', '--master_port',
        str(_free_port()), 'tools/train.py',
        str(config), '--work-dir',
        str(work), '--launcher', 'pytorch'
    ]
    # a new session, so that a hang can be ended with its workers
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail('two-rank Taylor pruning hung (a rank alone in a '
                    f'collective):\n{out[-3000:]}')
    if proc.returncode != 0:
        pytest.fail(f'torchrun exited with {proc.returncode}:\n'
                    f'{out[-6000:]}')
    assert 'PruningHook step 1/1' in out
    rank0 = torch.load(work / 'rank0.pth', weights_only=True)
    rank1 = torch.load(work / 'rank1.pth', weights_only=True)
    # half of the first stage's channels (16 -> 8), the head follows
    assert rank0['backbone.layer1.0.conv1.weight'].shape[0] == 8
    width = rank0['head.bnneck.weight'].shape[0]
    assert width < 128
    assert rank0['head.classifier.weight'].shape == (8, width)
    assert [(k, v.shape) for k, v in rank0.items()] == \
        [(k, v.shape) for k, v in rank1.items()]
    for key in rank0:
        if not key.endswith(('running_mean', 'running_var',
                             'num_batches_tracked')):
            assert torch.equal(rank0[key], rank1[key]), key
