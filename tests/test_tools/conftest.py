# Copyright (c) mmhier contributors. All rights reserved.
"""Fixtures for end-to-end tests that run ``tools/*.py`` in subprocesses."""
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def run_tool(*args, env=None, timeout=300, cwd=REPO):
    """Run ``python tools/...`` (or any command) from the repo root.

    ``cwd`` defaults to the repository root. Returns the completed process;
    fails the test with the output when the
    command exits non-zero.
    """
    full_env = dict(os.environ)
    full_env.setdefault('OMP_NUM_THREADS', '1')
    full_env['PYTHONPATH'] = REPO + os.pathsep + full_env.get(
        'PYTHONPATH', '')
    # shell launchers (dist_train.sh) use the interpreter running the tests
    full_env['PYTHON'] = sys.executable
    full_env['PATH'] = osp.dirname(sys.executable) + os.pathsep + \
        full_env.get('PATH', '')
    if env:
        full_env.update(env)
    cmd = list(args)
    if cmd[0].endswith('.py'):
        cmd = [sys.executable] + cmd
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout)
    if proc.returncode != 0:
        pytest.fail(f'{" ".join(cmd)} exited with {proc.returncode}:\n'
                    f'{proc.stdout[-6000:]}')
    return proc


@pytest.fixture(scope='session')
def tool():
    """``tool('tools/train.py', ...)`` runs a tool in a subprocess."""
    return run_tool


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory):
    """A tiny synthetic data set in the real on-disk formats (once per run)."""
    from mmhier.datasets.synthetic import generate
    out = tmp_path_factory.mktemp('synthetic')
    generate(str(out), seed=0, num_train=4, num_val=2, num_reid_train_ids=8,
             num_reid_test_ids=6)
    return str(out)


@pytest.fixture
def free_port():
    """A TCP port free right now, for a torchrun rendezvous (a fixed port
    can still be held by an earlier run's socket)."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])
