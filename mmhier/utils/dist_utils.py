# Copyright (c) mmhier contributors. All rights reserved.
"""CPU (gloo) distributed training through MMEngine 0.10.7.

MMEngine's ``init_dist`` calls ``torch.cuda.set_device`` (which fails on a
machine without a GPU) and its ``wrap_model`` passes
``device_ids=[local_rank]`` to DDP, which DDP rejects for CPU modules. On a
CPU-only machine we therefore initialise the gloo process group ourselves
before the runner is built (the runner then sees ``is_distributed()`` and
skips ``init_dist``) and wrap with ``device_ids=None``. On a GPU machine
nothing is changed: the stock NCCL path is used.
"""
import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config


def setup_cpu_distributed(cfg: Config) -> bool:
    """Initialise gloo DDP on CPU-only machines when launched by torchrun.

    Args:
        cfg (Config): The full config; ``cfg.launcher`` must already be set.
            On CPU, ``env_cfg.dist_cfg.backend`` becomes ``'gloo'`` and
            ``model_wrapper_cfg`` gets ``device_ids=None`` (other keys of a
            user's ``model_wrapper_cfg`` are kept).

    Returns:
        bool: True if the process group was initialised here.
    """
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available():
        return False
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        if key not in os.environ:
            raise RuntimeError(
                f'--launcher pytorch needs the environment variable {key} '
                '(start the job with torchrun / tools/dist_train.sh)')
    env_cfg = cfg.setdefault('env_cfg', {})
    env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper_cfg = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel')
    wrapper_cfg['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper_cfg
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo', init_method='env://')
        return True
    return False


def teardown_distributed() -> None:
    """Shut the default process group down cleanly at the end of a job.

    Without this the process group is torn down by interpreter shutdown.
    With gloo (torch 2.14) that races the group's worker threads and can
    abort the process after a successful run ("terminate called without an
    active exception", SIGABRT, seen in CI on a two-process CPU run), which
    torchrun reports as a failed job. A barrier first makes sure no rank
    leaves while another still has collectives in flight (e.g. the last
    checkpoint's broadcast). A no-op when not distributed.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
