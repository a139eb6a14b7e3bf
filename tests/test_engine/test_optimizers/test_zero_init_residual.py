# Copyright (c) mmhier contributors. All rights reserved.
"""The paper's zero-init of the last BN gamma in each residual block comes
from the backbones' own ``zero_init_residual``: pin that it does what it
says in the two backbones our configs use."""
import pytest
import torch
from mmengine.registry import DefaultScope

from mmhier.registry import MODELS


def _last_norms(backbone):
    for module in backbone.modules():
        if hasattr(module, 'norm3') and hasattr(module, 'conv3'):
            yield module.norm3  # Bottleneck
        elif hasattr(module, 'norm2') and hasattr(module, 'conv2') \
                and not hasattr(module, 'conv3'):
            yield module.norm2  # BasicBlock


@pytest.mark.parametrize('scope, cfg', [
    ('mmseg', dict(type='ResNetV1c', depth=50, stem_channels=8,
                   base_channels=4)),
    ('mmseg', dict(type='ResNetV1c', depth=18, stem_channels=8,
                   base_channels=4)),
    ('mmpretrain', dict(type='ResNet', depth=50, stem_channels=8,
                        base_channels=4)),
])
@pytest.mark.parametrize('zero_init', [True, False])
def test_zero_init_residual(scope, cfg, zero_init):
    with DefaultScope.overwrite_default_scope(scope):
        backbone = MODELS.build(
            dict(cfg, _scope_=scope, zero_init_residual=zero_init))
    backbone.init_weights()
    norms = list(_last_norms(backbone))
    assert len(norms) == (16 if cfg['depth'] == 50 else 8)
    for norm in norms:
        gamma_zero = torch.all(norm.weight == 0).item()
        assert gamma_zero is zero_init
        assert torch.all(norm.bias == 0)
    stem_norm = backbone.stem[1] if scope == 'mmseg' else backbone.norm1
    assert torch.all(stem_norm.weight == 1)  # other BNs: gamma 1
