# Copyright (c) mmhier contributors. All rights reserved.
import torch
import torch.nn as nn

from mmhier.pruning import count_params_flops, layer_table, summary_line


def test_counts_one_conv_by_hand():
    conv = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False))
    out = count_params_flops(conv, torch.randn(1, 3, 8, 8), layer_wise=True)
    # 3x3 kernel * 3 in * 4 out = 108 weights, applied at 8 * 8 positions
    assert out['params'] == 108
    assert out['flops'] == 108 * 64
    assert out['layers'] == {'0': (108, 108 * 64)}


def test_table_and_summary():
    before = dict(params=200, flops=1000, layers={'a': (100, 600),
                                                  'b': (100, 400)})
    after = dict(params=150, flops=700, layers={'a': (50, 300),
                                                'b': (100, 400)})
    table = layer_table(before, after)
    assert 'a ' in table and '\nb ' not in table  # unchanged rows hidden
    assert table.splitlines()[-1].split() == ['total', '200', '150', '1.00K',
                                              '700']
    assert summary_line(before, after) == \
        'params 200 -> 150 (-25.0%), FLOPs 1.00K -> 700 (-30.0%)'
