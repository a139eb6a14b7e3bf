# Copyright (c) mmhier contributors. All rights reserved.
"""Collect the environment (for bug reports and logs)."""
from importlib import import_module

from mmengine.utils import get_git_hash
from mmengine.utils.dl_utils import collect_env as collect_base_env

import mmhier

_PACKAGES = ('mmcv', 'mmseg', 'mmdet', 'mmpretrain', 'torch_pruning',
             'faiss', 'sklearn')


def collect_env() -> dict:
    """Collect MMEngine's base environment plus the OpenMMLab stack.

    Returns:
        dict: name -> version/description; a package that is not installed
        is reported as ``'not installed'``.
    """
    env_info = collect_base_env()
    for name in _PACKAGES:
        try:
            env_info[name] = getattr(import_module(name), '__version__',
                                     'unknown')
        except ImportError:
            env_info[name] = 'not installed'
    try:
        from mmcv.ops import get_compiler_version, get_compiling_cuda_version
        env_info['mmcv compiled ops'] = (
            f'compiler {get_compiler_version()}, '
            f'CUDA {get_compiling_cuda_version()}')
    except ImportError:
        env_info['mmcv compiled ops'] = 'missing (mmcv-lite?)'
    env_info['mmhier'] = f'{mmhier.__version__}+{get_git_hash(digits=7)}'
    return env_info
