# Copyright (c) mmhier contributors. All rights reserved.
"""Linear learning-rate scaling by the *effective* batch size.

Goyal et al., 2017 (`Accurate, Large Minibatch SGD
<https://arxiv.org/abs/1706.02677>`_): when the batch grows by k, multiply
the learning rate by k. One optimizer step sees

.. math::

    B_{\\mathrm{eff}} = \\mathrm{world\\_size} \\times
        \\mathrm{batch\\_size} \\times \\mathrm{accumulative\\_counts}

samples, but mmengine's ``Runner.scale_lr`` uses only ``world_size *
batch_size``: a config that trades GPUs for gradient accumulation
(``optim_wrapper.accumulative_counts``) ends up with a learning rate
``accumulative_counts`` times too small. :class:`AccumulationAwareRunner`
fixes that; select it with ``runner_type``.
"""
from typing import Dict, Optional, Union

from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.optim.scheduler import _ParamScheduler
from mmengine.runner import Runner
from torch.utils.data import DataLoader

from mmhier.registry import RUNNERS


def effective_batch_size(world_size: int, batch_size: int,
                         accumulative_counts: int = 1) -> int:
    """Samples that contribute to one optimizer step.

    Args:
        world_size (int): Number of data-parallel processes.
        batch_size (int): Samples per process per forward pass.
        accumulative_counts (int): Forward/backward passes accumulated
            before each optimizer step. Defaults to 1.

    Returns:
        int: ``world_size * batch_size * accumulative_counts``.
    """
    for name, value in (('world_size', world_size),
                        ('batch_size', batch_size),
                        ('accumulative_counts', accumulative_counts)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f'{name} must be a positive int, got {value!r}')
    return world_size * batch_size * accumulative_counts


def linear_lr_scale(base_batch_size: int,
                    world_size: int,
                    batch_size: int,
                    accumulative_counts: int = 1) -> float:
    """Factor by which the linear scaling rule multiplies the learning rate.

    Args:
        base_batch_size (int): Effective batch size the config's lr is for
            (``auto_scale_lr.base_batch_size``).
        world_size (int): Number of data-parallel processes.
        batch_size (int): Samples per process per forward pass.
        accumulative_counts (int): Accumulated passes per step.

    Returns:
        float: ``effective_batch_size(...) / base_batch_size``.
    """
    if not base_batch_size or base_batch_size < 0:
        raise ValueError('auto_scale_lr.base_batch_size must be positive, '
                         f'got {base_batch_size!r}')
    return effective_batch_size(world_size, batch_size,
                                accumulative_counts) / float(base_batch_size)


@RUNNERS.register_module()
class AccumulationAwareRunner(Runner):
    """Runner whose ``auto_scale_lr`` counts gradient accumulation.

    Identical to :class:`mmengine.runner.Runner` except for
    :meth:`scale_lr`, which scales each optimizer wrapper's learning rates by
    :func:`linear_lr_scale` with that wrapper's own ``accumulative_counts``.
    Like the parent it runs after the optimizer wrapper is built and before
    the parameter schedulers are, so warm-up starts from the scaled lr.

    Use it from a config (works with ``tools/train.py``, which builds
    ``RUNNERS.build(cfg)`` when ``runner_type`` is set)::

        runner_type = 'mmhier.AccumulationAwareRunner'
        auto_scale_lr = dict(enable=True, base_batch_size=256)
    """

    def scale_lr(self,
                 optim_wrapper: OptimWrapper,
                 auto_scale_lr: Optional[Dict] = None) -> None:
        """Scale the lr of every param group by the effective batch size.

        Args:
            optim_wrapper (OptimWrapper): Built optimizer wrapper (or dict).
            auto_scale_lr (dict, optional): ``enable`` and
                ``base_batch_size``. Nothing happens unless enabled.
        """
        if auto_scale_lr is None or not auto_scale_lr.get('enable', False):
            return
        if 'base_batch_size' not in auto_scale_lr:
            raise KeyError('auto_scale_lr: `base_batch_size` is missing, got '
                           f'{auto_scale_lr}')
        if not isinstance(optim_wrapper, OptimWrapper):
            raise TypeError('scale_lr must be called after the optimizer '
                            f'wrapper is built, got {type(optim_wrapper)}')
        if _any_built(self.param_schedulers):
            raise RuntimeError('scale_lr must be called before the parameter '
                               'schedulers are built: they store the '
                               'initial lr of the optimizer')
        dataloader: Union[DataLoader, Dict] = self._train_dataloader
        batch_size = dataloader.batch_size if isinstance(
            dataloader, DataLoader) else dataloader['batch_size']
        base = auto_scale_lr['base_batch_size']
        wrappers = dict(optim_wrapper.items()) if isinstance(
            optim_wrapper, OptimWrapperDict) else {'': optim_wrapper}
        for name, wrapper in wrappers.items():
            counts = wrapper._accumulative_counts
            ratio = linear_lr_scale(base, self.world_size, batch_size, counts)
            self.logger.info(
                f'LR{" of " + name if name else ""} is set for an effective '
                f'batch size of {base}; the current one is '
                f'{self.world_size} (world size) x {batch_size} (batch size)'
                f' x {counts} (accumulative_counts) = '
                f'{effective_batch_size(self.world_size, batch_size, counts)}'
                f'. Scaling the original LR by {ratio}.')
            for group in wrapper.optimizer.param_groups:
                group['lr'] = group['lr'] * ratio


def _any_built(schedulers) -> bool:
    """Whether any parameter scheduler in a (nested) config is built."""
    if isinstance(schedulers, dict):
        return False if 'type' in schedulers else any(
            _any_built(s) for s in schedulers.values())
    if isinstance(schedulers, list):
        return any(_any_built(s) for s in schedulers)
    return isinstance(schedulers, _ParamScheduler)
