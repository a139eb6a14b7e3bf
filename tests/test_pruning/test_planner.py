# Copyright (c) mmhier contributors. All rights reserved.
import pytest
import torch
import torch.nn as nn
from pruning_tiny_models import build, classifier_cfg, segmentor_cfg

from mmhier.pruning import PruningPlanner, select_layers, step_ratio
from mmhier.pruning.planner import example_inputs_from_batch, tensor_forward


@pytest.fixture(scope='module')
def segmentor():
    return build(segmentor_cfg())


def test_select_by_key_pattern_and_first_n(segmentor):
    selected, ignored = select_layers(segmentor, layers=[r'layer1\.0\.'])
    assert list(selected) == ['backbone.layer1.0.conv1',
                              'backbone.layer1.0.conv2']
    # every other conv/linear layer is handed to Torch-Pruning as ignored
    assert 'backbone.stem.0' in ignored and 'decode_head.conv_seg' in ignored
    first, _ = select_layers(segmentor, first_n=3)
    assert list(first) == ['backbone.stem.0', 'backbone.stem.3',
                           'backbone.stem.6']


def test_default_ignores_heads(segmentor):
    selected, _ = select_layers(segmentor)
    assert selected and all(n.startswith('backbone.') for n in selected)
    with_heads, _ = select_layers(segmentor, ignored_layers=[r'conv_seg$'])
    assert 'decode_head.convs.0.conv' in with_heads
    assert 'decode_head.conv_seg' not in with_heads


def test_bad_patterns_name_what_exists(segmentor):
    with pytest.raises(ValueError,
                       match=r'layer9.*available prefixes.*backbone\.layer1'):
        select_layers(segmentor, layers=[r'backbone\.layer9'])
    with pytest.raises(ValueError, match='ignored_layers.*nothing_here'):
        select_layers(segmentor, ignored_layers=['nothing_here'])
    with pytest.raises(ValueError, match='not a valid regular expression'):
        select_layers(segmentor, layers=['('])
    with pytest.raises(ValueError, match='first_n'):
        select_layers(segmentor, first_n=0)
    with pytest.raises(ValueError, match='importance'):
        PruningPlanner(importance='l1')
    with pytest.raises(ValueError, match="'Conv9d'"):
        PruningPlanner(layer_types=['Conv9d'])


def test_step_ratio_reaches_the_target_cumulatively():
    # ratio 0.5 in 2 steps: 25% of the original, then 1/3 of what is left
    assert step_ratio(0.5, 1, 2) == pytest.approx(0.25)
    assert step_ratio(0.5, 2, 2) == pytest.approx(1 / 3)
    kept = 1.0
    for k in range(1, 5):
        kept *= 1 - step_ratio(0.6, k, 4)
    assert kept == pytest.approx(0.4)


@pytest.mark.parametrize('importance', ['magnitude', 'bn_scale'])
def test_step_keeps_outputs_and_prunes_aux_inputs(importance):
    model = build(segmentor_cfg())
    x = torch.randn(2, 3, 32, 32)
    shapes = [o.shape for o in tensor_forward(model, x)]
    ops = PruningPlanner(importance=importance, round_to=2).step(
        model, x[:1], 0.5)
    assert ops
    conv1 = model.backbone.layer1[0].conv1
    assert conv1.out_channels == 4 and conv1.weight.shape[0] == 4
    assert model.backbone.layer1[0].bn1.num_features == 4
    # stage 3 feeds the auxiliary head: its input followed the pruning
    assert model.auxiliary_head.convs[0].conv.in_channels == \
        model.backbone.layer3[-1].conv2.out_channels == 16
    assert [o.shape for o in tensor_forward(model, x)] == shapes
    for op in ops:
        assert op[3] in ('out', 'in') and all(
            isinstance(i, int) for i in op[5])


def test_taylor_uses_gradients():
    model = build(segmentor_cfg(aux=False))
    x = torch.randn(2, 3, 32, 32)
    model.train()
    tensor_forward(model, x)[0].square().mean().backward()
    ops = PruningPlanner(importance='taylor', layers=[r'layer4\.0\.conv1'])\
        .step(model, x[:1], 0.5)
    assert model.backbone.layer4[0].conv1.out_channels == 32
    assert model.training  # the tracer's eval() is undone
    assert ops[0][0] == 'backbone.layer4.0.conv1'


def test_classifier_keeps_num_classes():
    model = build(classifier_cfg())
    x = torch.randn(2, 3, 32, 32)
    PruningPlanner().step(model, x[:1], 0.5)
    assert model.head.fc.out_features == 5
    assert model.head.fc.in_features == 32
    assert model(x, mode='tensor').shape == (2, 5)


def test_strict_trace_rejects_unreached_layers():

    class Unused(nn.Module):

        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)
            self.spare = nn.Conv2d(8, 8, 1)

        def forward(self, x):
            return self.conv(x)

    with pytest.raises(RuntimeError, match=r"\['spare'\]"):
        PruningPlanner(ignored_layers=[]).step(Unused(),
                                               torch.randn(1, 3, 8, 8), 0.5)


def test_example_inputs_from_batch_and_shape(segmentor):
    from mmseg.structures import SegDataSample
    batch = dict(
        inputs=[torch.randint(0, 255, (3, 30, 28), dtype=torch.uint8)] * 2,
        data_samples=[SegDataSample(), SegDataSample()])
    x = example_inputs_from_batch(segmentor, batch)
    assert x.shape == (1, 3, 32, 32)  # padded to the preprocessor's size
    assert x.dtype == torch.float32 and x.abs().max() < 5  # normalised
    assert example_inputs_from_batch(segmentor, None,
                                     (3, 16, 20)).shape == (1, 3, 16, 20)
    with pytest.raises(ValueError, match='input_shape'):
        example_inputs_from_batch(segmentor, None, None)
    with pytest.raises(ValueError, match='input_shape'):
        example_inputs_from_batch(segmentor, None, (16, 20))


def test_step_keeps_frozen_parameters_frozen():
    """Torch-Pruning builds new Parameters; a frozen one (here a BN of the
    first stage and the stem conv) stays frozen, as in a history replay."""
    model = build(classifier_cfg())
    model.eval()
    frozen = ['backbone.layer1.0.bn1.weight', 'backbone.layer1.0.bn1.bias']
    params = dict(model.named_parameters())
    for name in frozen:
        params[name].requires_grad_(False)
    before = {n: p.shape for n, p in model.named_parameters()}
    PruningPlanner().step(model, torch.randn(1, 3, 32, 32), 0.5)
    params = dict(model.named_parameters())
    for name in frozen:
        assert params[name].shape[0] < before[name][0]  # pruned
        assert not params[name].requires_grad
    assert all(p.requires_grad for n, p in params.items()
               if n not in frozen)
