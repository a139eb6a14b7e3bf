# Copyright (c) mmhier contributors. All rights reserved.
"""Foundation end to end: tools/train.py, --resume, tools/test.py and
tools/dist_train.sh on the synthetic Cityscapes-format set."""
import glob
import os.path as osp
import shutil

import torch


CONFIG = ('configs/baselines/'
          'fcn_r18-tiny-d8_1xb4-100i_synthetic-cityscapes-128x128.py')


def _options(data_root, max_iters, interval=2):
    root = osp.join(data_root, 'cityscapes')
    return [
        '--cfg-options', f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'test_dataloader.dataset.data_root={root}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        f'train_cfg.max_iters={max_iters}', 'train_cfg.val_interval=1000',
        f'default_hooks.checkpoint.interval={interval}',
        f'param_scheduler.0.end={max_iters}', 'randomness.deterministic=True'
    ]


def _weights(path):
    return torch.load(path, map_location='cpu', weights_only=True)


def test_kill_and_resume_gives_same_weights(synthetic_root, tool, tmp_path):
    # uninterrupted run: 4 iterations, checkpoints at 2 and 4
    full = tmp_path / 'full'
    tool('tools/train.py', CONFIG, '--work-dir', str(full),
         *_options(synthetic_root, 4))
    # "killed" run: only its iter-2 checkpoint survives; resume it to 4
    part = tmp_path / 'part'
    part.mkdir()
    shutil.copy(full / 'iter_2.pth', part / 'iter_2.pth')
    out = tool('tools/train.py', CONFIG, '--work-dir', str(part),
               '--resume', str(part / 'iter_2.pth'),
               *_options(synthetic_root, 4)).stdout
    assert 'resumed epoch: 0, iter: 2' in out

    ref = _weights(full / 'iter_4.pth')
    res = _weights(part / 'iter_4.pth')
    assert ref['meta']['iter'] == res['meta']['iter'] == 4
    assert ref['state_dict'].keys() == res['state_dict'].keys()
    for key, value in ref['state_dict'].items():
        torch.testing.assert_close(
            res['state_dict'][key], value, rtol=0, atol=1e-6, msg=key)
    # optimizer momentum buffers resumed too
    for k, st in ref['optimizer']['state'].items():
        torch.testing.assert_close(
            res['optimizer']['state'][k]['momentum_buffer'],
            st['momentum_buffer'], rtol=0, atol=1e-6)

    # tools/test.py evaluates the checkpoint and draws predictions
    show = tmp_path / 'show'
    out = tool('tools/test.py', CONFIG, str(full / 'iter_4.pth'),
               '--work-dir', str(tmp_path / 'test'), '--show-dir',
               str(show), *_options(synthetic_root, 4)).stdout
    assert 'mIoU' in out
    pngs = glob.glob(str(show / '**' / '*.png'), recursive=True)
    assert len(pngs) == 2  # one drawing per val image


def test_dist_train_two_gloo_processes(synthetic_root, tool, tmp_path,
                                       free_port):
    work = tmp_path / 'dist'
    out = tool(
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', str(work),
        *_options(synthetic_root, 2),
        env=dict(PORT=free_port)).stdout
    assert 'Distributed launcher: pytorch' in out or 'world_size: 2' in out
    assert sorted(p.name for p in work.glob('*.pth')) == ['iter_2.pth']
    ckpt = _weights(work / 'iter_2.pth')
    assert ckpt['meta']['iter'] == 2
    # the checkpoint holds plain module keys (no DDP "module." prefix)
    assert not any(k.startswith('module.') for k in ckpt['state_dict'])


def test_dist_train_two_nodes_equal_one_node(synthetic_root, tool, tmp_path,
                                             free_port):
    """Two ``torchrun`` launches on localhost with ``NNODES=2`` and
    ``NODE_RANK=0/1`` (one gloo process each) train the same weights as one
    node with two processes."""
    import os
    import subprocess
    import sys

    from tool_runs import REPO
    one_node = tmp_path / 'one_node'
    tool('bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir',
         str(one_node), *_options(synthetic_root, 2),
         env=dict(PORT=free_port))

    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable,
               NNODES='2', MASTER_ADDR='127.0.0.1', PORT=free_port)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    procs = []
    for node_rank in (1, 0):
        cmd = ['bash', 'tools/dist_train.sh', CONFIG, '1', '--work-dir',
               str(tmp_path / f'node{node_rank}'),
               *_options(synthetic_root, 2)]
        procs.append(subprocess.Popen(
            cmd, cwd=REPO, env=dict(env, NODE_RANK=str(node_rank)),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outs = [p.communicate(timeout=600)[0] for p in procs]
    for p, out in zip(procs, outs):
        assert p.returncode == 0, out[-4000:]
    assert 'Distributed training: True' in outs[1]  # node 0 logs
    # one world of two ranks: rank 0 (node 0) writes the one checkpoint,
    # rank 1 (node 1) none, and the weights are those of one node x 2
    # processes (a node training alone would see other batches)
    assert sorted(p.name for p in (tmp_path / 'node0').glob('*.pth')) == [
        'iter_2.pth'
    ]
    assert not list((tmp_path / 'node1').glob('*.pth'))
    ref = _weights(one_node / 'iter_2.pth')['state_dict']
    two = _weights(tmp_path / 'node0' / 'iter_2.pth')['state_dict']
    assert ref.keys() == two.keys()
    for key, value in ref.items():
        torch.testing.assert_close(two[key], value, rtol=0, atol=1e-6,
                                   msg=key)
