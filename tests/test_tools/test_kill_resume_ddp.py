# Copyright (c) mmhier contributors. All rights reserved.
"""``kill -9`` of one DDP rank in the middle of an MMT re-ID epoch (with
pseudo-label clustering), then ``--resume``: the four nets, the pseudo
labels and the iteration count equal those of an uninterrupted run."""
import glob
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch

from mmhier.datasets.synthetic import generate

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'mmt',
                  'mmt_r18-tiny_1xb16-8e_synthetic-source2target-64x32.py')
ITERS_PER_EPOCH = 8


def _command(work_dir, root, resume=False):
    options = [
        'model.peer_init=None', 'model.model.head.num_classes=6',
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        f'custom_hooks.0.dataloader.dataset.data_root={root}',
        'custom_hooks.0.num_clusters=6', 'train_cfg.max_epochs=2',
        'train_cfg.val_interval=3',
        f'train_dataloader.sampler.iters_per_epoch={ITERS_PER_EPOCH}',
        # mmengine seeds each worker from (seed, rank, worker id) when it
        # starts: non-persistent workers restart every epoch with the same
        # seeds, so a resumed epoch draws the same augmentations (the main
        # process's or persistent workers' random streams are not saved)
        'train_dataloader.num_workers=1',
        'train_dataloader.persistent_workers=False',
        'default_hooks.logger.interval=1', 'randomness.seed=0',
        'randomness.deterministic=True'
    ]
    cmd = ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), CONFIG, '2',
           '--work-dir', str(work_dir)]
    if resume:
        cmd.append('--resume')
    return cmd + ['--cfg-options'] + options


def _env(port):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable,
               PORT=str(port))
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    return env


def _run(cmd, env):
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _rank_pids(rank):
    """PIDs of the training processes started with ``RANK=<rank>``."""
    pids = []
    for environ in glob.glob('/proc/[0-9]*/environ'):
        try:
            with open(environ, 'rb') as f:
                entries = f.read().split(b'\0')
            with open(environ.replace('environ', 'cmdline'), 'rb') as f:
                cmdline = f.read()
        except OSError:
            continue
        if f'RANK={rank}'.encode() in entries and b'train.py' in cmdline:
            pids.append(int(environ.split('/')[2]))
    return pids


@pytest.mark.skipif(not osp.isdir('/proc'), reason='needs /proc')
def test_kill_one_rank_mid_epoch_then_resume(tmp_path, free_port):
    generate(str(tmp_path / 'data'), seed=0, num_reid_train_ids=8,
             num_reid_test_ids=4, datasets=['reid_target'])
    root = str(tmp_path / 'data' / 'reid_target')
    env = _env(free_port)

    full = tmp_path / 'full'
    _run(_command(full, root), env)

    part = tmp_path / 'part'
    proc = subprocess.Popen(_command(part, root), cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    # wait for the first iteration of epoch 2 (the epoch-1 checkpoint and
    # the epoch-2 clustering are done), then kill rank 1
    deadline = time.time() + 300
    killed = False
    while time.time() < deadline and proc.poll() is None:
        logs = glob.glob(str(part / '*' / '*.log'))
        text = open(logs[0]).read() if logs else ''
        if f'Epoch(train) [2][1/{ITERS_PER_EPOCH}]' in text:
            pids = _rank_pids(1)
            assert pids, 'no rank-1 process found'
            for pid in pids:
                os.kill(pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.05)
    proc.wait(timeout=120)
    assert killed, 'the run ended before the kill'
    assert proc.returncode != 0
    assert (part / 'epoch_1.pth').exists()
    assert not (part / 'epoch_2.pth').exists()

    log = _run(_command(part, root, resume=True), env)
    assert 'resumed epoch: 1' in log

    ref = torch.load(full / 'epoch_2.pth', map_location='cpu',
                     weights_only=True)
    res = torch.load(part / 'epoch_2.pth', map_location='cpu',
                     weights_only=True)
    assert res['meta']['epoch'] == ref['meta']['epoch'] == 2
    assert res['meta']['iter'] == ref['meta']['iter'] == 2 * ITERS_PER_EPOCH
    assert ref['state_dict'].keys() == res['state_dict'].keys()
    nets = {k.split('.')[0] for k in ref['state_dict'] if '.' in k}
    assert {'peer1', 'peer2', 'mean1', 'mean2'} <= nets
    torch.testing.assert_close(res['state_dict']['pseudo_labels'],
                               ref['state_dict']['pseudo_labels'], rtol=0,
                               atol=0)
    for key, value in ref['state_dict'].items():
        torch.testing.assert_close(res['state_dict'][key], value, rtol=0,
                                   atol=1e-5, msg=key)
