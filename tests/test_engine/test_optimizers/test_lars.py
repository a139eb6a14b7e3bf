# Copyright (c) mmhier contributors. All rights reserved.
import copy
from unittest import mock

import pytest
import torch
import torch.nn as nn
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmpretrain.engine.optimizers import LARS as MMPretrainLARS

from mmhier.engine.optimizers import LARS, lars_trust_ratios
from mmhier.registry import OPTIMIZERS


def _tiny_model():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(),
        nn.Linear(4 * 4 * 4, 5))
    nn.init.zeros_(model[0].bias)  # zero-norm weight: trust ratio -> 1
    return model


def _groups(model, wd):
    conv, bn, _, fc = model
    return [
        dict(params=[conv.weight, fc.weight, conv.bias]),
        dict(params=[bn.weight, bn.bias, fc.bias], weight_decay=0.,
             lars_exclude=True),
    ]


def _set_grads(model, step):
    gen = torch.Generator().manual_seed(100 + step)
    for i, p in enumerate(model.parameters()):
        if i == 2 and step == 1:
            p.grad = None  # skipped for this step
        elif i == 4 and step < 2:
            p.grad = torch.zeros_like(p)  # zero-norm gradient: ratio 1
        else:
            p.grad = torch.randn(p.shape, generator=gen)


@pytest.mark.parametrize('kwargs', [
    dict(momentum=0.9, weight_decay=1e-3, nesterov=True),
    dict(momentum=0.9, weight_decay=1e-3, dampening=0.1),
    dict(momentum=0., weight_decay=0.),
])
def test_lars_matches_mmpretrain(kwargs):
    ours_model = _tiny_model()
    ref_model = copy.deepcopy(ours_model)
    ours = LARS(_groups(ours_model, 1e-3), lr=0.5, eta=0.02, **kwargs)
    ref = MMPretrainLARS(_groups(ref_model, 1e-3), lr=0.5, eta=0.02,
                         **kwargs)
    for step in range(4):
        _set_grads(ours_model, step)
        _set_grads(ref_model, step)
        ours.step()
        ref.step()
    moved = 0
    for p_ours, p_ref, p_init in zip(ours_model.parameters(),
                                     ref_model.parameters(),
                                     _tiny_model().parameters()):
        torch.testing.assert_close(p_ours, p_ref, atol=1e-6, rtol=0)
        moved += int(not torch.equal(p_ours, p_init))
    assert moved == 6  # every parameter was updated at least once
    if kwargs['momentum']:
        for p, p_ref in zip(ours_model.parameters(),
                            ref_model.parameters()):
            torch.testing.assert_close(
                ours.state[p]['momentum_buffer'],
                ref.state[p_ref]['momentum_buffer'], atol=1e-6, rtol=0)


def test_trust_ratio_by_hand():
    w = [torch.tensor([3., 4.]), torch.zeros(2), torch.tensor([1., 0.])]
    g = [torch.tensor([0., 1.]), torch.ones(2), torch.zeros(2)]
    ratios = lars_trust_ratios(w, g, eta=0.1, weight_decay=0.2, eps=0.)
    # |w|=5, |g|=1: 0.1 * 5 / (1 + 0.2 * 5) = 0.25; zero norms -> 1.
    torch.testing.assert_close(ratios, torch.tensor([0.25, 1., 1.]))


def test_lars_no_host_sync():
    model = _tiny_model()
    optim = LARS(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    _set_grads(model, 0)
    with mock.patch.object(torch.Tensor, 'item',
                           side_effect=AssertionError('host sync')), \
            mock.patch.object(torch.Tensor, '__bool__',
                              side_effect=AssertionError('host sync')):
        optim.step()
        optim.step()


def test_lars_registry_and_errors():
    assert OPTIMIZERS.get('LARS') is LARS
    with pytest.raises(ValueError, match='nesterov'):
        LARS([nn.Parameter(torch.ones(1))], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match='lr'):
        LARS([nn.Parameter(torch.ones(1))], lr=-1.)


def _amp_wrapper(optimizer, init_scale):
    """mmengine's AmpOptimWrapper on CPU: it asserts a CUDA device and builds
    a CUDA GradScaler, so patch the check and swap in torch's CPU scaler
    (same class, same unscale-then-step logic)."""
    target = 'mmengine.optim.optimizer.amp_optimizer_wrapper.' \
             'is_cuda_available'
    with mock.patch(target, return_value=True):
        wrapper = AmpOptimWrapper(optimizer=optimizer, dtype='bfloat16')
    wrapper.loss_scaler = torch.amp.GradScaler(
        'cpu', init_scale=init_scale, growth_interval=1000)
    return wrapper


def test_lars_in_amp_wrapper_sees_unscaled_grads():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    ref_model = copy.deepcopy(model)
    x, y = torch.randn(4, 6), torch.randn(4, 3)

    amp = _amp_wrapper(
        LARS(model.parameters(), lr=0.5, momentum=0.9, weight_decay=1e-3,
             eta=0.02), init_scale=2.**12)
    plain = OptimWrapper(
        LARS(ref_model.parameters(), lr=0.5, momentum=0.9,
             weight_decay=1e-3, eta=0.02))
    for _ in range(3):
        with amp.optim_context(model):
            out = model(x)
            amp_loss = ((out - y)**2).mean()
        # fp32 reference on the same bf16-rounded forward: compare updates
        # through the gradients the wrapper hands to LARS.
        amp.backward(amp_loss)
        scaled = [p.grad.clone() for p in model.parameters()]
        amp.step()
        amp.zero_grad()
        for p_ref, g in zip(ref_model.parameters(), scaled):
            p_ref.grad = g / 2.**12  # what the scaler's unscale_ produces
        plain.step()
        plain.zero_grad()
        assert out.dtype == torch.bfloat16  # autocast was active
    for p, p_ref in zip(model.parameters(), ref_model.parameters()):
        assert p.dtype == torch.float32  # fp32 master weights
        torch.testing.assert_close(p, p_ref, atol=1e-6, rtol=0)


def test_lars_amp_wrapper_skips_inf_steps():
    model = nn.Linear(3, 2)
    before = [p.detach().clone() for p in model.parameters()]
    amp = _amp_wrapper(LARS(model.parameters(), lr=0.5), init_scale=4.)
    amp.backward(model(torch.ones(1, 3)).sum())  # initialises the scale
    for p in model.parameters():
        p.grad = torch.full_like(p, float('inf'))
    amp.step()
    for p, b in zip(model.parameters(), before):
        assert torch.equal(p, b)
    assert amp.loss_scaler.get_scale() == 2.  # backoff after the inf step
