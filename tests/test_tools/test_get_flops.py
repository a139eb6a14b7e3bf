# Copyright (c) mmhier contributors. All rights reserved.
"""tools/analysis/get_flops.py: counts of the built (and pruned) model."""
import os.path as osp

import pytest
from pruning_tiny_models import (build, prune_and_save, segmentor_cfg,
                                 write_model_config)
from tool_runs import REPO, load_tool_module

from mmhier.apis import init_model

HIER_TINY = osp.join(
    REPO, 'configs', 'hier',
    'hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py')


def _load_tool():
    return load_tool_module('tools/analysis/get_flops.py')


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
    tmp = tmp_path_factory.mktemp('get_flops')
    config = write_model_config(tmp / 'cfg.py', segmentor_cfg())
    ckpt = tmp / 'pruned.pth'
    model = prune_and_save(build(segmentor_cfg()), ckpt)
    return config, model, str(ckpt)


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
