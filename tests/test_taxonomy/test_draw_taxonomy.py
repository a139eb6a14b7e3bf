# Copyright (c) mmhier contributors. All rights reserved.
"""tools/analysis/draw_taxonomy.py: layout by hand, and a real PNG."""
import numpy as np
import pytest
from tool_runs import load_tool_module

from mmhier.taxonomy import LabelTree

TINY = dict(
    name='tiny',
    tree={'root': ['a', 'b', 'c'], 'b': ['b1', 'b2'],
          'c': ['c1', 'c2', 'c3'], 'c2': ['x', 'y']},
    datasets=dict(
        d1=dict(classes=[(0, 'A', 'a'), (1, 'X', 'x'), (2, 'C2', 'c2')]),
        d2=dict(annotation='box', classes=[(0, 'Y', 'y')]),
        v=dict(base='d1')))


@pytest.fixture(scope='module')
def tool():
    return load_tool_module('tools/analysis/draw_taxonomy.py')


def test_layout(tool):
    tree = LabelTree.build(TINY)
    pos = tool.layout(tree)
    # ids: root a b c b1 b2 c1 c2 c3 x y;
    # leaf rows a0 b1 1 b2 2 c1 3 x4 y5 c3 6
    np.testing.assert_allclose(pos[:, 0], [0, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3])
    np.testing.assert_allclose(
        pos[:, 1], [2.0, 0, 1.5, 4.5, 1, 2, 3, 4.5, 6, 4, 5])
    labels = tool.dataset_labels(tree)  # training datasets only
    assert labels[tree.node_id('a')] == ['d1']
    assert labels[tree.node_id('y')] == ['d2*']
    assert labels[tree.node_id('b')] == []


def test_cli_writes_png(tool, tmp_path, capsys):
    tree_file = tmp_path / 'tiny.py'
    tree_file.write_text(f'taxonomy = {TINY!r}\n')
    out = tmp_path / 'tree.png'
    tool.main([str(tree_file), '--out', str(out), '--datasets', '--dpi',
               '40'])
    with open(out, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    assert 'saved to' in capsys.readouterr().out
