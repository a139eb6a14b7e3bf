# Copyright (c) mmhier contributors. All rights reserved.
import pytest
import torch.nn as nn
from mmengine.registry import DefaultScope
from torch.utils.data import DataLoader

from mmhier.engine.optimizers import (AccumulationAwareRunner,
                                      effective_batch_size, linear_lr_scale)
from mmhier.registry import RUNNERS


def test_effective_batch_and_ratio_by_hand():
    assert effective_batch_size(8, 32, 4) == 1024
    assert linear_lr_scale(256, world_size=8, batch_size=32,
                           accumulative_counts=4) == 4.0
    # mmengine's rule would give 8 * 32 / 256 = 1.0 here.
    assert linear_lr_scale(256, 8, 32) == 1.0
    assert linear_lr_scale(16, 1, 2, 2) == 0.25
    with pytest.raises(ValueError, match='accumulative_counts'):
        effective_batch_size(1, 2, 0)
    with pytest.raises(ValueError, match='base_batch_size'):
        linear_lr_scale(0, 1, 2)


@pytest.fixture
def restore_default_scope():
    """The Runner registers a global DefaultScope; drop it afterwards so
    that later tests see the scope they had before."""
    before = set(DefaultScope._instance_dict)
    yield
    for name in set(DefaultScope._instance_dict) - before:
        DefaultScope._instance_dict.pop(name)


@pytest.mark.usefixtures('restore_default_scope')
@pytest.mark.parametrize('world_size, batch_size, counts', [(2, 4, 3),
                                                            (1, 16, 1)])
def test_runner_scales_then_warms_up(tmp_path, world_size, batch_size,
                                     counts):
    base_lr, base_batch, warmup_iters, start_factor = 0.1, 16, 4, 0.25
    runner = AccumulationAwareRunner(
        model=nn.Linear(2, 2),
        work_dir=str(tmp_path),
        experiment_name=f'lr_scaling_{world_size}_{batch_size}_{counts}',
        default_scope='mmengine',
        train_dataloader=DataLoader(list(range(64)), batch_size=batch_size),
        train_cfg=dict(by_epoch=False, max_iters=20),
        optim_wrapper=dict(
            optimizer=dict(type='SGD', lr=base_lr),
            accumulative_counts=counts),
        param_scheduler=[
            dict(type='LinearLR', start_factor=start_factor, by_epoch=False,
                 begin=0, end=warmup_iters),
            dict(type='PolyLR', power=1., eta_min=0., by_epoch=False,
                 begin=warmup_iters, end=20),
        ],
        auto_scale_lr=dict(enable=True, base_batch_size=base_batch))
    runner._world_size = world_size  # as if launched with N processes

    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.scale_lr(runner.optim_wrapper, runner.auto_scale_lr)
    scaled = base_lr * world_size * batch_size * counts / base_batch
    assert runner.optim_wrapper.get_lr()['lr'][0] == pytest.approx(scaled)

    schedulers = runner.build_param_scheduler(runner.param_schedulers)
    lrs = []
    for _ in range(warmup_iters + 2):
        lrs.append(runner.optim_wrapper.get_lr()['lr'][0])
        for s in schedulers:
            s.step()
    # mmengine's LinearLR/PolyLR interpolate over `end - begin - 1` steps.
    expected = [
        scaled * (start_factor + (1 - start_factor) * i / (warmup_iters - 1))
        for i in range(warmup_iters)
    ] + [scaled, scaled * (1 - 1 / (20 - warmup_iters - 1))]
    assert lrs == pytest.approx(expected)

    with pytest.raises(RuntimeError, match='before the parameter'):
        runner.param_schedulers = schedulers
        runner.scale_lr(runner.optim_wrapper, runner.auto_scale_lr)


def test_runner_registered():
    assert RUNNERS.get('AccumulationAwareRunner') is AccumulationAwareRunner
