# Copyright (c) mmhier contributors. All rights reserved.
"""The configs/_base_/schedules/ pieces load, compose and mean what their
comments say."""
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import MODEL_WRAPPERS, PARAM_SCHEDULERS, RUNNERS

from mmhier.engine.ddp_wrapper import CommHookDistributedDataParallel
from mmhier.engine.optimizers import AccumulationAwareRunner

SCHEDULES = osp.join(
    osp.dirname(__file__), '..', '..', '..', 'configs', '_base_', 'schedules')


def _load(name):
    return Config.fromfile(osp.join(SCHEDULES, name))


def test_user_config_composes_pieces(tmp_path):
    cfg_file = tmp_path / 'user.py'
    cfg_file.write_text(f"""
_base_ = [
    '{SCHEDULES}/sgd_nodecay.py', '{SCHEDULES}/amp.py',
    '{SCHEDULES}/lr_scaling.py', '{SCHEDULES}/ddp_fp16-compress.py',
    '{SCHEDULES}/syncbn.py', '{SCHEDULES}/input_pipeline.py',
    '{SCHEDULES}/warmup-poly_80k.py']
optim_wrapper = dict(**_base_.amp_bf16, accumulative_counts=2)
train_dataloader = dict(batch_size=4, **_base_.fast_train_loader)
""")
    cfg = Config.fromfile(str(cfg_file))
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert cfg.optim_wrapper.constructor == 'NoDecayOptimWrapperConstructor'
    assert cfg.optim_wrapper.optimizer.type == 'SGD'
    assert cfg.train_dataloader.persistent_workers is True
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.sync_bn == 'torch'
    assert cfg.model_wrapper_cfg.comm_hook == 'fp16'
    assert cfg.model_wrapper_cfg.gradient_as_bucket_view is True
    # mmengine resolves both types in its root registries (tools/train.py
    # and Runner.wrap_model use those).
    assert RUNNERS.get(cfg.runner_type) is AccumulationAwareRunner
    assert MODEL_WRAPPERS.get(cfg.model_wrapper_cfg.type) is \
        CommHookDistributedDataParallel


def test_lars_amp_piece():
    cfg = _load('lars-amp-fp16_nodecay.py')
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.optim_wrapper.optimizer.type == 'LARS'
    assert cfg.optim_wrapper.constructor == 'NoDecayOptimWrapperConstructor'


def _lr_curve(name, shrink=100):
    """lr at every iteration of a schedule, time axis divided by `shrink`
    (800 instead of 80k iterations) to keep the test fast."""
    cfg = _load(name)
    optimizer = torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=1.0)
    schedulers = []
    for s in cfg.param_scheduler:
        s = dict(s)
        s['begin'] //= shrink
        s['end'] //= shrink
        if 'milestones' in s:
            s['milestones'] = [m // shrink for m in s['milestones']]
        schedulers.append(
            PARAM_SCHEDULERS.build(s, default_args=dict(optimizer=optimizer)))
    lrs = []
    for _ in range(cfg.max_iters // shrink):
        lrs.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        for s in schedulers:
            s.step()
    return cfg, lrs


@pytest.mark.parametrize('name', [
    'warmup-poly_80k.py', 'warmup-cosine_80k.py', 'warmup-step_80k.py'])
def test_warmup_then_decay(name):
    cfg, lrs = _lr_curve(name)
    warmup = cfg.warmup_iters // 100  # 10
    assert len(lrs) == 800
    # linear warm-up from 0.1 to 1 (mmengine spans end - begin - 1 steps)
    assert lrs[:warmup] == pytest.approx(
        [0.1 + 0.9 * i / (warmup - 1) for i in range(warmup)])
    assert lrs[warmup] == pytest.approx(1.0)
    assert all(a >= b - 1e-12 for a, b in zip(lrs[warmup:], lrs[warmup+1:]))
    if 'step' in name:  # halved at 40k, 60k, 70k (global iterations)
        assert lrs[399] == pytest.approx(1.0)
        assert [lrs[400], lrs[600], lrs[700]] == pytest.approx(
            [0.5, 0.25, 0.125])
        assert lrs[-1] == pytest.approx(0.125)
    else:
        assert lrs[-1] == pytest.approx(1e-4, rel=0.05)  # eta_min at the end
