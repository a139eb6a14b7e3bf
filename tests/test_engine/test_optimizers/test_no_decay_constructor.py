# Copyright (c) mmhier contributors. All rights reserved.
from unittest import mock

import pytest
import torch.nn as nn
from mmengine.registry import DefaultScope

from mmhier.engine.optimizers import LARS, NoDecayOptimWrapperConstructor
from mmhier.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS

BASE_WD = 1e-4
# Independent definition of "norm layer" for the checks: the torch bases.
TORCH_NORMS = (nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm)


def _build(model, paramwise_cfg=None, optimizer='SGD', wrapper=None):
    optim_wrapper_cfg = dict(
        type='OptimWrapper',
        optimizer=dict(type=optimizer, lr=0.1, momentum=0.9,
                       weight_decay=BASE_WD))
    with DefaultScope.overwrite_default_scope('mmhier'):
        constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(
            dict(type=wrapper or 'NoDecayOptimWrapperConstructor',
                 optim_wrapper_cfg=optim_wrapper_cfg,
                 paramwise_cfg=paramwise_cfg))
        return constructor(model).optimizer


def _group_of(optimizer):
    """id(param) -> its group; fails if a parameter is in two groups."""
    owner = {}
    for group in optimizer.param_groups:
        for p in group['params']:
            assert id(p) not in owner, 'parameter in two groups'
            owner[id(p)] = group
    return owner


def _check_no_decay_split(model, optimizer, norm_types=TORCH_NORMS):
    owner = _group_of(optimizer)
    assert len(owner) == len(list(model.parameters()))
    n_norm = n_bias = n_weight = 0
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            group = owner[id(p)]
            exempt = isinstance(module, norm_types) or name == 'bias'
            if exempt:
                assert group['weight_decay'] == 0, (type(module), name)
                assert group.get('lars_exclude') is True
                n_norm += isinstance(module, norm_types)
                n_bias += not isinstance(module, norm_types)
            else:
                assert group['weight_decay'] == BASE_WD, (type(module), name)
                assert not group.get('lars_exclude', False)
                assert isinstance(module, (nn.Conv2d, nn.Linear)), module
                n_weight += 1
    return n_norm, n_bias, n_weight


def _segmentor():
    # Stand-in for the hierarchical segmentor (mmhier/models/heads/ has no
    # HierarchicalDecodeHead yet): same backbone family, decode + aux heads.
    cfg = dict(
        type='EncoderDecoder',
        _scope_='mmseg',
        backbone=dict(type='ResNetV1c', depth=18, stem_channels=8,
                      base_channels=8, dilations=(1, 1, 2, 4),
                      strides=(1, 2, 1, 1)),
        decode_head=dict(type='FCNHead', in_channels=64, in_index=3,
                         channels=8, num_classes=4,
                         norm_cfg=dict(type='SyncBN')),
        auxiliary_head=dict(type='FCNHead', in_channels=32, in_index=2,
                            channels=8, num_classes=4, norm_cfg=dict(
                                type='GN', num_groups=2)))
    return MODELS.build(cfg)


class _ReIDLike(nn.Module):
    """ResNet + BN-neck (BatchNorm1d) + bias-free linear classifier."""

    def __init__(self):
        super().__init__()
        self.backbone = MODELS.build(
            dict(type='ResNet', _scope_='mmpretrain', depth=18,
                 stem_channels=8,
                 base_channels=8))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.bnneck = nn.BatchNorm1d(64)
        self.bnneck.bias.requires_grad_(True)
        self.classifier = nn.Linear(64, 10, bias=False)


def _classifier():
    return MODELS.build(
        dict(type='ImageClassifier',
             _scope_='mmpretrain',
             backbone=dict(type='ResNet', depth=18, stem_channels=8,
                           base_channels=8),
             neck=dict(type='GlobalAveragePooling'),
             head=dict(type='LinearClsHead', num_classes=10, in_channels=64)))


@pytest.mark.parametrize('make_model, expected_bias', [
    (_segmentor, 2),  # conv_seg.bias of both heads; ConvModules are bias-free
    (_ReIDLike, 0),
    (_classifier, 1),  # fc.bias
])
def test_every_norm_and_bias_exempt(make_model, expected_bias):
    model = make_model()
    n_norm, n_bias, n_weight = _check_no_decay_split(
        model, _build(model, optimizer='LARS'))
    assert n_norm > 0 and n_weight > 0
    assert n_bias == expected_bias


def test_builds_mmhier_lars():
    model = _classifier()
    assert isinstance(_build(model, optimizer='LARS'), LARS)


def test_custom_keys_keep_no_decay():
    """mmengine: custom_keys override the norm/bias rule; ours does not."""
    model = _classifier()
    paramwise_cfg = dict(custom_keys={'backbone': dict(lr_mult=0.1)})
    ours = _build(model, paramwise_cfg)
    _check_no_decay_split(model, ours)
    bn_group = _group_of(ours)[id(model.backbone.norm1.weight)]
    assert bn_group['lr'] == pytest.approx(0.01)  # lr_mult still applied

    upstream = _build(
        model, dict(paramwise_cfg, norm_decay_mult=0., bias_decay_mult=0.),
        wrapper='DefaultOptimWrapperConstructor')
    assert _group_of(upstream)[id(
        model.backbone.norm1.weight)]['weight_decay'] == BASE_WD


class _MMSyncBNBlock(nn.Module):

    def __init__(self):
        super().__init__()
        from mmcv.ops import SyncBatchNorm
        self.conv = nn.Conv2d(3, 4, 1, bias=False)
        # mmcv's 'MMSyncBN', not a torch _BatchNorm; needs a process group
        # only to read the world size.
        with mock.patch('mmcv.ops.sync_bn.dist.get_world_size',
                        return_value=1):
            self.norm = SyncBatchNorm(4)
        self.attn = nn.MultiheadAttention(4, 2)  # in_proj_bias


def test_norms_and_biases_mmengine_misses():
    model = _MMSyncBNBlock()
    owner = _group_of(_build(model))
    assert owner[id(model.norm.weight)]['weight_decay'] == 0
    assert owner[id(model.attn.in_proj_bias)]['weight_decay'] == 0
    assert owner[id(model.attn.in_proj_weight)]['weight_decay'] == BASE_WD
    upstream = _group_of(
        _build(model, dict(norm_decay_mult=0., bias_decay_mult=0.),
               wrapper='DefaultOptimWrapperConstructor'))
    assert upstream[id(model.norm.weight)]['weight_decay'] == BASE_WD
    assert upstream[id(model.attn.in_proj_bias)]['weight_decay'] == BASE_WD


class _Scale(nn.Module):

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(nn.init.ones_(nn.Linear(1, 3).bias))


def test_extra_norm_types_shared_params_and_options():
    conv = nn.Conv2d(3, 3, 1)
    model = nn.Sequential(conv, _Scale(), conv)  # conv shared twice
    owner = _group_of(_build(model, dict(extra_norm_types=[_Scale])))
    assert len(owner) == 3
    assert owner[id(model[1].weight)]['weight_decay'] == 0
    assert owner[id(conv.weight)]['weight_decay'] == BASE_WD

    owner = _group_of(
        _build(model, dict(bias_decay_mult=0.5, lars_exclude=False)))
    assert owner[id(model[1].weight)]['weight_decay'] == BASE_WD
    assert owner[id(conv.bias)]['weight_decay'] == pytest.approx(BASE_WD / 2)
    assert 'lars_exclude' not in owner[id(conv.bias)]


def test_requires_weight_decay():
    with pytest.raises(ValueError, match='weight_decay'):
        NoDecayOptimWrapperConstructor(
            dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)))
    with pytest.raises(TypeError, match='extra_norm_types'):
        _build(nn.Linear(2, 2), dict(extra_norm_types=[3]))
