# Copyright (c) mmhier contributors. All rights reserved.
"""``tools/train.py`` in two gloo processes (``torchrun``) with a hook that
saves each rank's model at the end, and the check that the two ranks ended
with the same model."""
import os
import signal
import socket
import subprocess
import sys

import pytest
import torch
from tiny_train_configs import config_text
from tool_runs import REPO

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
IMPORT_DUMP_HOOK = """\
custom_imports = dict(imports=['mmhier', 'dump_rank_model_hook'],
                      allow_failed_imports=False)
"""
BN_STATISTICS = ('running_mean', 'running_var', 'num_batches_tracked')


def write_two_rank_config(folder, name: str, base: str, body: str):
    """Write ``DumpRankModelHook`` as a module into ``folder`` and the config
    ``folder / name`` that inherits ``base``, imports the hook and adds
    ``body`` (which lists the hook in ``custom_hooks``); returns its path.
    """
    (folder / 'dump_rank_model_hook.py').write_text(DUMP_HOOK)
    config = folder / name
    config.write_text(config_text(base, IMPORT_DUMP_HOOK, body))
    return config


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


def load_rank_models(work):
    """The state dicts ``DumpRankModelHook`` saved for rank 0 and rank 1."""
    return (torch.load(work / 'rank0.pth', weights_only=True),
            torch.load(work / 'rank1.pth', weights_only=True))


def assert_ranks_agree(rank0, rank1):
    """The same entries with the same shapes, and equal values but for the
    BN running statistics, which are per rank (non-Sync BN,
    ``broadcast_buffers=False``) and may differ."""
    assert [(k, v.shape) for k, v in rank0.items()] == \
        [(k, v.shape) for k, v in rank1.items()]
    for key in rank0:
        if not key.endswith(BN_STATISTICS):
            assert torch.equal(rank0[key], rank1[key]), key
