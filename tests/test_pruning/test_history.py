# Copyright (c) mmhier contributors. All rights reserved.
import copy

import pytest
import torch
from pruning_tiny_models import build, classifier_cfg, segmentor_cfg

from mmhier.pruning import (PruningHistory, PruningPlanner, apply_ops,
                            history_from_checkpoint, tensor_forward)


def _record(ops, targets=('', )):
    return dict(source='test', module='', targets=list(targets), ratio=0.5,
                step=1, num_steps=1, ops=ops)


@pytest.fixture(scope='module')
def pruned():
    """(pruned model, its history, an unpruned twin with other weights)."""
    model = build(segmentor_cfg(), seed=0)
    twin = build(segmentor_cfg(), seed=1)
    ops = PruningPlanner(global_pruning=True).step(
        model, torch.randn(1, 3, 32, 32), 0.4)
    return model, PruningHistory([_record(ops)]), twin


def test_replay_then_load_is_bit_identical(pruned, tmp_path):
    model, history, twin = pruned
    fresh = copy.deepcopy(twin)
    assert any(a.shape != b.shape for a, b in zip(
        fresh.state_dict().values(), model.state_dict().values()))
    # through a file that only weights_only=True unpickling may read
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(meta=dict(pruning_history=history.to_meta()),
                    state_dict=model.state_dict()), path)
    ckpt = torch.load(path, weights_only=True)
    history_from_checkpoint(ckpt).replay(fresh)
    fresh.load_state_dict(ckpt['state_dict'], strict=True)
    x = torch.randn(2, 3, 32, 32)
    for a, b in zip(tensor_forward(fresh.eval(), x),
                    tensor_forward(model.eval(), x)):
        assert torch.equal(a, b)


def test_history_is_plain_data(pruned):
    _, history, _ = pruned
    meta = history.to_meta()

    def walk(obj):
        if isinstance(obj, dict):
            return all(isinstance(k, str) and walk(v) for k, v in obj.items())
        if isinstance(obj, list):
            return all(walk(v) for v in obj)
        return isinstance(obj, (str, int, float, bool))

    assert walk(meta) and meta['version'] == 1
    assert PruningHistory.from_meta(meta).records == history.records
    with pytest.raises(TypeError, match=r'record 0\.ops.*Tensor'):
        PruningHistory([_record(torch.tensor([1]))])
    with pytest.raises(KeyError, match='targets'):
        PruningHistory([{'source': 'x', 'ops': []}])
    with pytest.raises(ValueError, match='version'):
        PruningHistory.from_meta(dict(version=99, records=[]))


def test_replay_keeps_requires_grad():
    model = build(segmentor_cfg(aux=False))
    for p in model.backbone.stem.parameters():
        p.requires_grad_(False)
    ops = [['backbone.stem.0', 'Conv2d', 'CONV', 'out', 4, [0, 1]],
           ['backbone.stem.1', 'BatchNorm2d', 'BN', 'out', 4, [0, 1]],
           ['backbone.stem.3', 'Conv2d', 'CONV', 'in', 4, [0, 1]]]
    apply_ops(model, ops)
    assert model.backbone.stem[0].weight.shape == (2, 3, 3, 3)
    assert model.backbone.stem[3].weight.shape[1] == 2
    assert not any(p.requires_grad for p in model.backbone.stem.parameters())


def test_mismatching_config_names_the_layer_and_shapes(pruned):
    model, history, _ = pruned
    # a different backbone width: the first op's layer has other channels
    other = segmentor_cfg()
    other['backbone']['base_channels'] = 16
    other['decode_head']['in_channels'] = 128
    other['auxiliary_head']['in_channels'] = 64
    first = history.records[0]['ops'][0]
    with pytest.raises(ValueError, match=rf"'{first[0]}'.*weight shape.*"
                       rf"expects {first[4]}"):
        history.replay(build(other))
    # a layer that does not exist (no auxiliary head in this config)
    aux_ops = [op for op in history.records[0]['ops']
               if op[0].startswith('auxiliary_head')]
    with pytest.raises(KeyError, match=r"'auxiliary_head\..*does not exist"):
        apply_ops(build(segmentor_cfg(aux=False)), aux_ops, 'record 0')
    # the same name but another kind of layer
    bad = [['backbone.stem.1', 'Conv2d', 'CONV', 'out', 4, [0]]]
    with pytest.raises(TypeError, match='BatchNorm2d.*CONV'):
        apply_ops(build(segmentor_cfg()), bad)
    with pytest.raises(ValueError, match='distinct ints'):
        apply_ops(build(segmentor_cfg()),
                  [['backbone.stem.0', 'Conv2d', 'CONV', 'out', 4, [9]]])


def test_replicate_to_sibling_modules():
    """Ops recorded on one net apply to another of the same structure."""
    import torch.nn as nn
    nets = nn.ModuleDict(
        dict(model1=build(classifier_cfg(), 0),
             mean1=build(classifier_cfg(), 1)))
    ops = PruningPlanner().step(nets['model1'], torch.randn(1, 3, 32, 32),
                                0.5)
    PruningHistory([_record(ops, ['mean1'])]).replay(nets)
    assert [p.shape for p in nets['model1'].parameters()] == \
        [p.shape for p in nets['mean1'].parameters()]
    with pytest.raises(KeyError, match=r"no sub-module 'mean9'.*'mean1'"):
        PruningHistory([_record(ops, ['mean9'])]).replay(nets)


def _snapshot(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def _assert_unchanged(model, before):
    after = model.state_dict()
    assert after.keys() == before.keys()
    for key, value in before.items():
        assert after[key].shape == value.shape, key
        assert torch.equal(after[key], value), key


def test_failing_replay_leaves_the_model_unchanged(pruned):
    """Replay validates the whole history before touching the model: an op
    that fails late (last op of a record, second record, second target)
    leaves no layer pruned."""
    import torch.nn as nn
    _, history, twin = pruned
    ops = history.records[0]['ops']
    # the last op expects more channels than the layer will have by then
    bad_last = copy.deepcopy(ops)
    bad_last[-1][4] += 1
    fresh = copy.deepcopy(twin)
    before = _snapshot(fresh)
    with pytest.raises(ValueError, match=bad_last[-1][0]):
        PruningHistory([_record(bad_last)]).replay(fresh)
    _assert_unchanged(fresh, before)
    # a good record followed by one naming a layer that does not exist
    ghost = [['backbone.ghost', 'Conv2d', 'CONV', 'out', 4, [0]]]
    with pytest.raises(KeyError, match='ghost'):
        PruningHistory([_record(ops), _record(ghost)]).replay(fresh)
    _assert_unchanged(fresh, before)
    # first target fits, second target does not exist
    nets = nn.ModuleDict(dict(a=copy.deepcopy(twin)))
    before = _snapshot(nets)
    with pytest.raises(KeyError, match="'b'"):
        PruningHistory([_record(ops, ['a', 'b'])]).replay(nets)
    _assert_unchanged(nets, before)
    # the replay itself still works, and in one go
    PruningHistory([_record(ops)]).replay(fresh)
    assert any(a.shape != b.shape for a, b in zip(
        fresh.state_dict().values(), before.values()))
