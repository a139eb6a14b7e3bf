# Copyright (c) mmhier contributors. All rights reserved.
import importlib.util
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn

from mmhier.engine.hooks import MeanNetHook
from mmhier.registry import MODELS

# the stand-in re-ID net shared with tests/test_models/test_uda
_TOY = Path(__file__).parents[2] / 'test_models' / 'test_uda' / 'toy_reid.py'
_spec = importlib.util.spec_from_file_location('mmhier_test_toy_reid', _TOY)
_spec.loader.exec_module(importlib.util.module_from_spec(_spec))


class Pair(nn.Module):
    """Two peers / two mean nets with one scalar weight and a BN each."""

    def __init__(self):
        super().__init__()
        for name in ('peer1', 'peer2', 'mean1', 'mean2'):
            net = nn.Sequential(nn.Linear(1, 1, bias=False), nn.BatchNorm1d(1))
            if name.startswith('mean'):
                net.requires_grad_(False)
            setattr(self, name, net)
        self.register_buffer('best_mean', torch.tensor(0))

    def mean_net_pairs(self):
        return [('peer1', 'mean1'), ('peer2', 'mean2')]


def w(net):
    return net[0].weight.item()


def test_alpha_warmup_schedule():
    got = [MeanNetHook.momentum_at(t, 0.999) for t in range(5)]
    assert got == pytest.approx([0, 1 / 2, 2 / 3, 3 / 4, 4 / 5])
    assert MeanNetHook.momentum_at(5000, 0.999) == 0.999
    # the warm-up ends at t = 999: 1 - 1/1000 = 0.999
    assert MeanNetHook.momentum_at(998, 0.999) == pytest.approx(998 / 999)
    assert MeanNetHook.momentum_at(999, 0.999) == pytest.approx(0.999)
    assert MeanNetHook.momentum_at(10, 0.6) == 0.6


def test_update_by_hand_params_only_buffers_kept():
    model = Pair()
    hook = MeanNetHook(alpha=0.6)
    runner = SimpleNamespace(model=model, iter=0)
    hook.before_train(runner)
    model.mean1[0].weight.fill_(5.)
    model.mean1[1].running_mean.fill_(7.)
    peer_values = [1., 2., 4., 8.]
    expected = 5.
    for t, p in enumerate(peer_values):
        model.peer1[0].weight.data.fill_(p)
        model.peer2[0].weight.data.fill_(-p)
        runner.iter = t
        hook.after_train_iter(runner, batch_idx=t)
        a = [0, 0.5, 0.6, 0.6][t]  # min(1 - 1/(t+1), 0.6)
        expected = a * expected + (1 - a) * p
        assert w(model.mean1) == pytest.approx(expected)
        assert w(model.mean2) == pytest.approx(-expected)
    # by hand: t0 -> 1, t1 -> 1.5, t2 -> .6*1.5+.4*4 = 2.5, t3 -> 1.5+3.2
    assert expected == pytest.approx(4.7)
    # BN running statistics of the mean nets are never touched
    assert model.mean1[1].running_mean.item() == 7.
    # BN affine parameters are averaged like any parameter
    assert model.mean1[1].weight.item() == pytest.approx(1.)


def test_before_train_checks_preconditions():
    model = Pair()
    model.mean_net_pairs = lambda: [('peer1', 'mean3')]
    with pytest.raises(AttributeError, match="'mean3'"):
        MeanNetHook().before_train(SimpleNamespace(model=model))
    with pytest.raises(AttributeError, match='mean_net_pairs'):
        MeanNetHook().before_train(SimpleNamespace(model=nn.Module()))
    model = Pair()
    model.mean2.requires_grad_(True)
    with pytest.raises(RuntimeError, match='mean2 has trainable'):
        MeanNetHook().before_train(SimpleNamespace(model=model))
    model = Pair()
    model.mean1 = nn.Sequential(nn.Linear(1, 2, bias=False))
    model.mean1.requires_grad_(False)
    with pytest.raises(RuntimeError, match='mirror'):
        MeanNetHook().before_train(SimpleNamespace(model=model))
    with pytest.raises(ValueError, match='alpha'):
        MeanNetHook(alpha=1.0)


def test_select_mean_net_after_val(monkeypatch):
    model = Pair()
    model.test_net = 'auto'
    logs = {}
    runner = SimpleNamespace(
        model=model,
        message_hub=SimpleNamespace(
            update_scalar=lambda k, v: logs.__setitem__(k, v)),
        logger=SimpleNamespace(info=lambda msg: None))
    hook = MeanNetHook(select_metric='reid/mAP')
    evaluated = []

    def fake_eval(runner):
        evaluated.append(int(model.best_mean))
        return {'reid/mAP': 0.7, 'reid/top1': 0.8}

    monkeypatch.setattr(hook, '_evaluate', fake_eval)
    metrics = {'reid/mAP': 0.5, 'reid/top1': 0.6}
    hook.after_val_epoch(runner, metrics)
    assert evaluated == [1]  # the other mean net was evaluated
    assert int(model.best_mean) == 1
    # later hooks see the chosen net's results
    assert metrics == {'reid/mAP': 0.7, 'reid/top1': 0.8}
    assert logs == {
        'val/mean1_mAP': 0.5,
        'val/mean2_mAP': 0.7,
        'val/reid/mAP': 0.7,
        'val/reid/top1': 0.8
    }
    metrics = {'reid/mAP': 0.9, 'reid/top1': 0.9}  # mean2 now 0.9
    hook.after_val_epoch(runner, metrics)
    assert int(model.best_mean) == 1 and evaluated == [1, 0]
    assert metrics['reid/mAP'] == 0.9
    with pytest.raises(KeyError, match='reid/mAP'):
        hook.after_val_epoch(runner, {'top1': 1.0})


def test_one_peer_model_updates_mean1_from_peer1_only():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='MMT',
            num_peers=1,
            model=dict(type='ToyReIDNet', feat_dim=4, num_classes=3),
            data_preprocessor=dict(
                type='mmpretrain.SelfSupDataPreprocessor')))
    model.init_weights()
    assert model.mean_net_pairs() == [('peer1', 'mean1')]
    assert not hasattr(model, 'peer2') and not hasattr(model, 'mean2')
    hook = MeanNetHook(alpha=0.6)
    runner = SimpleNamespace(model=model, iter=0)
    hook.before_train(runner)
    # mean1 and peer1 apart, then three updates at t = 1, 2, 3
    with torch.no_grad():
        for p in model.mean1.parameters():
            p.fill_(2.)
    mean_bn = model.mean1.bn.running_mean.clone()
    expected = 2.
    for t, value in zip((1, 2, 3), (4., -1., 0.5)):
        with torch.no_grad():
            for p in model.peer1.parameters():
                p.fill_(value)
        runner.iter = t
        hook.after_train_iter(runner, batch_idx=t)
        a = min(1 - 1 / (t + 1), 0.6)  # 0.5, 0.6, 0.6
        expected = a * expected + (1 - a) * value
        for name, p in model.mean1.named_parameters():
            torch.testing.assert_close(
                p, torch.full_like(p, expected), msg=name)
        for p in model.peer1.parameters():  # the peer is only read
            assert torch.equal(p, torch.full_like(p, value))
    # 0.5*2 + 0.5*4 = 3, 0.6*3 - 0.4 = 1.4, 0.6*1.4 + 0.4*0.5 = 1.04
    assert expected == pytest.approx(1.04)
    assert torch.equal(model.mean1.bn.running_mean, mean_bn)
    # nothing to choose between with one mean net
    model.best_mean.fill_(0)
    MeanNetHook(select_metric='reid/mAP').after_val_epoch(
        runner, {'reid/mAP': 0.5})
    assert int(model.best_mean) == 0
