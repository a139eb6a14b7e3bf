# Copyright (c) mmhier contributors. All rights reserved.
"""PruningHook inside a real MMEngine Runner (tiny stock mmseg FCN on the
synthetic Cityscapes-format set)."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.runner import Runner

import mmhier  # noqa: F401
from mmhier.engine.hooks import PruningHook
from mmhier.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
BASE = osp.join(REPO, 'configs', 'baselines',
                'fcn_r18-tiny-d8_1xb4-100i_synthetic-cityscapes-128x128.py')


@MODELS.register_module(force=True)
class PruningTestTwinSegmentor(BaseModel):
    """Two segmentors of one structure (stands in for MMT's peers / mean
    nets): the loss trains ``model1``, ``model2`` only has to follow."""

    def __init__(self, segmentor: dict, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor
                         or segmentor['data_preprocessor'])
        self.model1 = MODELS.build(copy.deepcopy(segmentor))
        self.model2 = MODELS.build(copy.deepcopy(segmentor))
        for p in self.model2.parameters():
            p.requires_grad_(False)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if mode == 'loss':
            return self.model1.loss(inputs, data_samples)
        if mode == 'predict':
            return self.model1.predict(inputs, data_samples)
        return self.model1(inputs, mode='tensor')


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    from mmhier.datasets.synthetic import generate
    out = tmp_path_factory.mktemp('synthetic')
    generate(str(out), seed=0, num_train=2, num_val=1,
             datasets=['cityscapes'])
    return osp.join(str(out), 'cityscapes')


def _cfg(data_root, work_dir, hook, max_iters=2, **extra):
    cfg = Config.fromfile(BASE)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].update(num_workers=0, persistent_workers=False)
        cfg[key].dataset.data_root = data_root
    cfg.train_dataloader.batch_size = 2
    cfg.train_cfg.update(max_iters=max_iters, val_interval=1000)
    cfg.param_scheduler[0].end = max_iters
    cfg.default_hooks.checkpoint.interval = max_iters
    cfg.default_hooks.logger.interval = 1
    cfg.custom_hooks = [hook]
    cfg.work_dir = str(work_dir)
    cfg.merge_from_dict(extra)
    return cfg


def _check_optimizer(runner):
    params = list(runner.model.parameters())
    optimizer = runner.optim_wrapper.optimizer
    in_optimizer = [p for g in optimizer.param_groups for p in g['params']]
    assert {id(p) for p in in_optimizer} == {id(p) for p in params}
    for p, state in optimizer.state.items():  # no stale (old-shape) state
        assert any(p is q for q in params)
        assert state['momentum_buffer'].shape == p.shape
    for scheduler in runner.param_schedulers:
        assert scheduler.optimizer is runner.optim_wrapper


def test_bad_arguments():
    for ratio in (0, 1.0, 1.5, -0.1, '0.5'):
        with pytest.raises(ValueError, match='ratio must be in'):
            PruningHook(ratio=ratio)
    with pytest.raises(ValueError, match='iterative_steps'):
        PruningHook(iterative_steps=0)
    with pytest.raises(ValueError, match='replicate_to'):
        PruningHook(module='model1', replicate_to=['model1'])


def test_prune_train_save_and_replay(data_root, tmp_path):
    cfg = _cfg(data_root, tmp_path / 'run',
               dict(type='PruningHook', ratio=0.5, importance='taylor'))
    cfg.custom_hooks.append(dict(type='EMAHook', momentum=0.01))
    runner = Runner.from_cfg(cfg)
    before = sum(p.numel() for p in runner.model.parameters())
    runner.train()
    model = runner.model
    assert model.backbone.layer1[0].conv1.out_channels == 8
    assert sum(p.numel() for p in model.parameters()) < before
    _check_optimizer(runner)
    ema = [h for h in runner.hooks if type(h).__name__ == 'EMAHook'][0]
    assert [p.shape for p in ema.ema_model.module.parameters()] == \
        [p.shape for p in model.parameters()]
    hub = runner.message_hub
    assert hub.get_scalar('prune/params').current() < \
        hub.get_scalar('prune/params_before').current()
    assert hub.get_scalar('prune/flops').current() < \
        hub.get_scalar('prune/flops_before').current()

    ckpt_path = str(tmp_path / 'run' / 'iter_2.pth')
    ckpt = torch.load(ckpt_path, weights_only=True)
    records = ckpt['meta']['pruning_history']['records']
    assert len(records) == 1 and records[0]['targets'] == ['']
    # the saved optimizer state belongs to the pruned parameters
    shapes = [p.shape for p in model.parameters()]
    state = ckpt['optimizer']['state']
    assert len(state) == len(shapes)
    for i, value in state.items():
        assert value['momentum_buffer'].shape == shapes[i]

    # a fresh runner with a replay-only hook rebuilds the pruned shapes
    # (after_load_checkpoint runs before the weights are copied)
    cfg2 = _cfg(data_root, tmp_path / 'load',
                dict(type='PruningHook', ratio=None))
    runner2 = Runner.from_cfg(cfg2)
    runner2.load_checkpoint(ckpt_path)
    loaded = runner2.model.state_dict()
    assert list(loaded) == list(ckpt['state_dict'])
    for k, v in ckpt['state_dict'].items():  # (the EMA weights: EMAHook)
        assert torch.equal(loaded[k], v), k


def test_replicate_to_sibling_and_frozen_copies(data_root, tmp_path):
    base = Config.fromfile(BASE)
    cfg = _cfg(
        data_root, tmp_path / 'twin',
        dict(type='PruningHook', ratio=0.25, module='model1',
             replicate_to=['model2'], iterative_steps=2, interval=1))
    cfg.model = dict(
        type='PruningTestTwinSegmentor', segmentor=base.model.to_dict())
    runner = Runner.from_cfg(cfg)
    runner.train()
    m1, m2 = runner.model.model1, runner.model.model2
    assert len(runner.train_loop.runner.message_hub.get_scalar(
        'prune/params').data[0]) == 2  # two iterative steps
    assert m1.backbone.layer1[0].conv1.out_channels == 12
    assert [p.shape for p in m1.parameters()] == \
        [p.shape for p in m2.parameters()]
    assert not any(p.requires_grad for p in m2.parameters())
    _check_optimizer(runner)
    with pytest.raises(KeyError, match="no sub-module 'model3'"):
        PruningHook(module='model3').before_train(runner)
