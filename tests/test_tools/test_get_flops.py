# Copyright (c) mmhier contributors. All rights reserved.
"""tools/analysis/get_flops.py: counts of the built (and pruned) model."""
import importlib.util
import os.path as osp
import sys

import pytest
import torch

from mmhier.apis import init_model
from mmhier.pruning import PruningHistory, PruningPlanner

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis', 'get_flops.py')
HIER_TINY = osp.join(
    REPO, 'configs', 'hier',
    'hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py')
# the pruning tests' tiny models and the way they save a pruned checkpoint
PRUNING_TESTS = osp.join(REPO, 'tests', 'test_pruning')


def _load_tool():
    spec = importlib.util.spec_from_file_location('get_flops', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _param_count(model):
    """Parameters without the training-only auxiliary head."""
    return sum(p.numel() for n, p in model.named_parameters()
               if not n.startswith('auxiliary_head.'))


def test_params_of_tiny_hier_config():
    tool = _load_tool()
    result = tool.model_complexity(HIER_TINY, shape=[128, 128])
    assert result['params'] == _param_count(init_model(HIER_TINY))
    assert result['input_shape'] == (3, 128, 128)
    assert result['flops'] > 0


def test_shape_argument():
    tool = _load_tool()
    assert tool.input_shape([64]) == (3, 64, 64)
    assert tool.input_shape([32, 48]) == (3, 32, 48)
    with pytest.raises(ValueError, match='H W'):
        tool.input_shape([1, 2, 3])


@pytest.fixture(scope='module')
def pruned_segmentor(tmp_path_factory):
    """A config, its pruned model and the pruned checkpoint (as saved by the
    pruning hook: weights plus the pruning history in ``meta``)."""
    sys.path.insert(0, PRUNING_TESTS)
    try:
        from pruning_tiny_models import build, segmentor_cfg
    finally:
        sys.path.remove(PRUNING_TESTS)
    tmp = tmp_path_factory.mktemp('get_flops')
    config = tmp / 'cfg.py'
    config.write_text(
        f"default_scope = 'mmhier'\nmodel = {segmentor_cfg()!r}\n")
    model = build(segmentor_cfg())
    ops = PruningPlanner().step(model, torch.randn(1, 3, 32, 32), 0.5)
    history = PruningHistory([
        dict(source='test', module='', targets=[''], ratio=0.5, step=1,
             num_steps=1, ops=ops)
    ])
    ckpt = tmp / 'pruned.pth'
    torch.save(
        dict(meta=dict(pruning_history=history.to_meta()),
             state_dict=model.state_dict()), ckpt)
    return str(config), model, str(ckpt)


def test_pruned_checkpoint_counts_the_pruned_model(pruned_segmentor, capsys):
    config, pruned, ckpt = pruned_segmentor
    tool = _load_tool()
    full = tool.main([config, '--shape', '32', '32'])
    small = tool.main([config, '--checkpoint', ckpt, '--shape', '32', '32'])
    assert small['params'] == _param_count(pruned)
    assert full['params'] == _param_count(init_model(config))
    assert small['params'] < full['params']
    assert small['flops'] < full['flops']
    out = capsys.readouterr().out
    assert f'({small["params"]})' in out and f'({full["flops"]})' in out
