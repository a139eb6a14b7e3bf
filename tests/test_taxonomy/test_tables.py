# Copyright (c) mmhier contributors. All rights reserved.
"""Per-level ancestor table of a label tree, by hand."""
from mmhier.taxonomy import LabelTree
from mmhier.taxonomy.tables import level_ancestor_table

TREE = dict(
    name='tables',
    tree={'root': ['a', 'b'], 'a': ['c', 'd'], 'd': ['e', 'f']},
    datasets=dict(
        px=dict(annotation='pixel', classes={0: ('c', 'c'), 1: ('e', 'e')})))


def test_level_ancestor_table_by_hand():
    tree = LabelTree.build(TREE)
    table = tree.level_ancestor_table()
    assert table.shape == (7, 3)  # 7 nodes, levels 1..3 below the root
    ids = {name: tree.node_id(name) for name in 'abcdef'}
    expected = {
        'root': [-1, -1, -1],
        'a': [ids['a'], -1, -1],
        'b': [ids['b'], -1, -1],
        'c': [ids['a'], ids['c'], -1],
        'd': [ids['a'], ids['d'], -1],
        'e': [ids['a'], ids['d'], ids['e']],
        'f': [ids['a'], ids['d'], ids['f']],
    }
    for name, row in expected.items():
        assert table[tree.node_id(name)].tolist() == row, name
    # the function on plain arrays gives the same table
    assert (level_ancestor_table(tree.parent, tree.level) == table).all()
