# Copyright (c) mmhier contributors. All rights reserved.
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from torch.utils.data import DataLoader

from mmhier.engine.param_replacement import (param_index, params_changed,
                                             sync_after_param_replacement)

BASE_LR, START_FACTOR, WARMUP = 0.1, 0.25, 4
HEAD_LR_MULT = 10.


class TinyNet(BaseModel):

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, inputs=None, data_samples=None, mode='tensor'):
        return self.head(self.conv(inputs))


@pytest.fixture
def restore_default_scope():
    before = set(DefaultScope._instance_dict)
    yield
    for name in set(DefaultScope._instance_dict) - before:
        DefaultScope._instance_dict.pop(name)


def build_runner(tmp_path):
    cfg = dict(
        optim_wrapper=dict(
            optimizer=dict(type='SGD', lr=BASE_LR, momentum=0.9),
            paramwise_cfg=dict(
                custom_keys={'head': dict(lr_mult=HEAD_LR_MULT)})),
        param_scheduler=[
            dict(
                type='LinearLR',
                start_factor=START_FACTOR,
                by_epoch=False,
                begin=0,
                end=WARMUP)
        ])
    runner = Runner(
        model=TinyNet(),
        work_dir=str(tmp_path),
        experiment_name='param_replacement',
        default_scope='mmengine',
        train_dataloader=DataLoader([0]),
        train_cfg=dict(by_epoch=False, max_iters=WARMUP),
        cfg=Config(cfg),
        **cfg)
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.param_schedulers = runner.build_param_scheduler(
        runner.param_schedulers)
    return runner


def group_lrs(optim_wrapper, model):
    """Parameter name -> lr of the param group that holds it."""
    names = {id(p): n for n, p in model.named_parameters()}
    return {
        names[id(p)]: g['lr']
        for g in optim_wrapper.optimizer.param_groups for p in g['params']
    }


def train_step(runner):
    model = runner.model
    loss = model(torch.ones(1, 3, 5, 5)).square().mean()
    runner.optim_wrapper.update_params(loss)
    for scheduler in runner.param_schedulers:
        scheduler.step()


@pytest.mark.usefixtures('restore_default_scope')
def test_rebuild_after_narrowing_a_conv(tmp_path):
    runner = build_runner(tmp_path)
    model = runner.model
    for _ in range(2):
        train_step(runner)
    # LinearLR after 2 of its 4 - 1 interpolation steps
    factor = START_FACTOR + (1 - START_FACTOR) * 2 / (WARMUP - 1)
    assert factor == pytest.approx(0.75)
    old_index = param_index(model)
    old_optimizer = runner.optim_wrapper.optimizer
    assert len(old_optimizer.state) == 4  # momentum of the old params

    # replace the conv by a narrower one (and the head's input with it)
    model.conv = nn.Conv2d(3, 2, 3)
    model.head = nn.Conv2d(2, 2, 1)
    assert params_changed(model, old_index)
    sync_after_param_replacement(
        runner, optimizer='rebuild', old_index=old_index, in_training=False)

    optimizer = runner.optim_wrapper.optimizer
    assert optimizer is not old_optimizer
    in_optimizer = [p for g in optimizer.param_groups for p in g['params']]
    assert len(in_optimizer) == 4
    assert {id(p) for p in in_optimizer} == {id(p) for p in model.parameters()}
    assert len(optimizer.state) == 0  # no state in the old shapes
    # the schedule continues from step 2, lr_mult still applies to the head
    assert group_lrs(runner.optim_wrapper, model) == pytest.approx({
        'conv.weight': BASE_LR * 0.75,
        'conv.bias': BASE_LR * 0.75,
        'head.weight': BASE_LR * HEAD_LR_MULT * 0.75,
        'head.bias': BASE_LR * HEAD_LR_MULT * 0.75,
    })
    scheduler, = runner.param_schedulers
    assert scheduler.optimizer is runner.optim_wrapper
    assert scheduler.last_step == 2
    train_step(runner)  # the last warm-up step reaches the base lr
    assert group_lrs(runner.optim_wrapper, model) == pytest.approx({
        'conv.weight': BASE_LR,
        'conv.bias': BASE_LR,
        'head.weight': BASE_LR * HEAD_LR_MULT,
        'head.bias': BASE_LR * HEAD_LR_MULT,
    })
    assert optimizer.state[model.conv.weight]['momentum_buffer'].shape == \
        (2, 3, 3, 3)


def test_repoint_keeps_the_optimizer_and_rewraps_only_on_change():
    model = TinyNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    optim_wrapper = OptimWrapper(optimizer)
    optim_wrapper.update_params(model(torch.ones(1, 3, 5, 5)).sum())
    wrapped = []

    class FakeWrapper(nn.Module):

        def __init__(self, module):
            super().__init__()
            self.module = module

    from mmhier.registry import MODEL_WRAPPERS
    MODEL_WRAPPERS.register_module(name='FakeWrapper', force=True,
                                   module=FakeWrapper)
    runner = SimpleNamespace(
        model=FakeWrapper(model),
        optim_wrapper=optim_wrapper,
        cfg=dict(model_wrapper_cfg=dict(type='FakeWrapper')),
        wrap_model=lambda cfg, m: wrapped.append(m) or FakeWrapper(m))

    # nothing replaced: groups unchanged, no re-wrap, state cleared
    old_index = param_index(model)
    sync_after_param_replacement(runner, 'repoint', old_index)
    assert wrapped == [] and len(optimizer.state) == 0

    old_index = param_index(model)
    model.head = nn.Conv2d(4, 5, 1)  # e.g. a classifier with more classes
    sync_after_param_replacement(runner, 'repoint', old_index)
    assert runner.optim_wrapper.optimizer is optimizer
    assert [id(p) for p in optimizer.param_groups[0]['params']] == \
        [id(p) for p in model.parameters()]
    assert wrapped == [model] and runner.model.module is model

    with pytest.raises(ValueError, match='needs old_index'):
        sync_after_param_replacement(runner, 'repoint')
    with pytest.raises(ValueError, match="'rebuild' or 'repoint'"):
        sync_after_param_replacement(runner, 'reset')
