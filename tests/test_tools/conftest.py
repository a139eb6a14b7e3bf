# Copyright (c) mmhier contributors. All rights reserved.
"""Fixtures for end-to-end tests that run ``tools/*.py`` in subprocesses."""
import socket

import pytest
from tool_runs import run_tool


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
