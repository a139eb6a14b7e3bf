# Copyright (c) mmhier contributors. All rights reserved.
"""tools/analysis/analyze_logs.py on a scalars.json with our keys."""
import json

import pytest
from tool_runs import load_tool_module

# what MMEngine's LocalVisBackend writes for a hierarchical run: training
# records every `interval` iterations, one validation record at the end
RECORDS = [
    {'lr': 0.05, 'loss': 2.0, 'decode.loss_hier.root': 1.6,
     'decode.loss_hier.traffic_sign': 0.4, 'decode.acc_seg': 56.7,
     'iter': 50, 'step': 50},
    {'lr': 0.05, 'loss': 1.5, 'decode.loss_hier.root': 1.2,
     'decode.loss_hier.traffic_sign': 0.3, 'decode.acc_seg': 60.1,
     'iter': 100, 'step': 100},
    {'cityscapes/mIoU': 52.24, 'gtsdb/subset.mPA': 6.05, 'mIoU': 25.7,
     'step': 100},
]


@pytest.fixture
def tool():
    return load_tool_module('tools/analysis/analyze_logs.py')


@pytest.fixture
def scalars(tmp_path):
    path = tmp_path / 'scalars.json'
    path.write_text(''.join(json.dumps(r) + '\n' for r in RECORDS))
    return str(path)


def test_load_and_match(tool, scalars):
    series = tool.load_scalars(scalars)
    assert series['decode.loss_hier.root'] == ([50, 100], [1.6, 1.2])
    assert series['cityscapes/mIoU'] == ([100], [52.24])
    assert 'step' not in series and 'iter' not in series
    assert tool.match_keys(series, ['decode.loss_hier.*', 'loss']) == [
        'decode.loss_hier.root', 'decode.loss_hier.traffic_sign', 'loss'
    ]
    assert tool.match_keys(series, ['*/mIoU']) == ['cityscapes/mIoU']
    with pytest.raises(KeyError, match="no key matches 'decode.loss_seg'"):
        tool.match_keys(series, ['decode.loss_seg'])


def test_plot_writes_the_curves(tool, scalars, tmp_path):
    out = tmp_path / 'curves.png'
    fig = tool.main([
        scalars, scalars, '--keys', 'decode.loss_hier.traffic_sign',
        'gtsdb/subset.mPA', '--legend', 'a', 'b', '--out', str(out)
    ])
    assert out.stat().st_size > 0
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    assert sorted(lines) == [
        'a: decode.loss_hier.traffic_sign', 'a: gtsdb/subset.mPA',
        'b: decode.loss_hier.traffic_sign', 'b: gtsdb/subset.mPA'
    ]
    sign = lines['a: decode.loss_hier.traffic_sign']
    assert list(sign.get_xdata()) == [50, 100]
    assert list(sign.get_ydata()) == [0.4, 0.3]
    # a validation metric seen once is still drawn (as a marker)
    val = lines['b: gtsdb/subset.mPA']
    assert list(val.get_ydata()) == [6.05] and val.get_marker() == 'o'
