# Copyright (c) mmhier contributors. All rights reserved.
"""Running the repository's tools from tests: as a subprocess
(:func:`run_tool`) or imported in-process (:func:`load_tool_module`)."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def run_tool(*args, env=None, timeout=300, cwd=REPO, expect_failure=False):
    """Run ``python tools/...`` (or any command) from the repo root.

    ``cwd`` defaults to the repository root. Returns the completed process,
    stderr merged into ``stdout``; fails the test with the output when the
    command exits non-zero (with ``expect_failure``: when it exits zero).
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
    if expect_failure and proc.returncode == 0:
        pytest.fail(f'{" ".join(cmd)} exited with 0:\n'
                    f'{proc.stdout[-6000:]}')
    if not expect_failure and proc.returncode != 0:
        pytest.fail(f'{" ".join(cmd)} exited with {proc.returncode}:\n'
                    f'{proc.stdout[-6000:]}')
    return proc


def load_tool_module(path, name=None):
    """Import the script at ``path`` (relative to the repository root) as a
    module named ``name`` (default: the file's basename), without running
    its ``__main__`` block."""
    name = name or osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, osp.join(REPO, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
