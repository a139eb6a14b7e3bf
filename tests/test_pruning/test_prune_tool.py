# Copyright (c) mmhier contributors. All rights reserved.
"""tools/analysis/prune.py, run in-process on a tiny checkpoint."""
import sys

import pytest
import torch
from pruning_tiny_models import build, segmentor_cfg, write_model_config
from tool_runs import load_tool_module

from mmhier.apis import init_model
from mmhier.pruning import tensor_forward


def _prune_main(monkeypatch, *argv):
    tool = load_tool_module('tools/analysis/prune.py', 'mmhier_prune_tool')
    monkeypatch.setattr(sys, 'argv', ['prune.py', *argv])
    tool.main()


def test_prune_tool_writes_replayable_checkpoint(tmp_path, monkeypatch,
                                                 capsys):
    config = tmp_path / 'cfg.py'
    write_model_config(config, segmentor_cfg(),
                       extra='crop_size = (32, 32)\n')
    model = build(segmentor_cfg())
    torch.save(dict(meta=dict(), state_dict=model.state_dict(),
                    optimizer=dict(state={}, param_groups=[])),
               tmp_path / 'in.pth')
    out = str(tmp_path / 'out.pth')
    _prune_main(monkeypatch, str(config), str(tmp_path / 'in.pth'), '--out',
                out, '--layers', r'backbone\.layer4\.', '--first-n', '2',
                '--ratio', '0.5')
    printed = capsys.readouterr().out
    assert "2 layers selected: ['backbone.layer4.0.conv1', " \
        "'backbone.layer4.0.conv2']" in printed
    assert 'backbone.layer4.0.conv1' in printed and 'total' in printed
    ckpt = torch.load(out, weights_only=True)
    assert 'optimizer' not in ckpt  # unpruned optimizer state is dropped
    (record, ) = ckpt['meta']['pruning_history']['records']
    assert record['source'] == 'tools/analysis/prune.py'
    pruned = init_model(str(config), out)
    assert pruned.backbone.layer4[0].conv1.out_channels == 32
    assert pruned.backbone.layer4[1].conv1.out_channels == 64  # not first 2
    x = torch.randn(1, 3, 32, 32)
    assert tensor_forward(pruned, x)[0].shape == \
        tensor_forward(model, x)[0].shape

    with pytest.raises(ValueError, match='--ratio'):
        _prune_main(monkeypatch, str(config), out, '--out', out, '--ratio',
                    '1.5')
