# Copyright (c) mmhier contributors. All rights reserved.
"""Tables derived from a label tree's structure, by hand."""
import numpy as np

from mmhier.taxonomy import LabelTree, tables
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


# ids (breadth-first): root 0, a 1, b 2, c 3, d 4, e 5, f 6
# classifiers: root (slots a 0, b 1), a (c 2, d 3), d (e 4, f 5)
# leaves (depth-first): c, e, f, b; the box dataset gives e the weak code 7
TREE_BOX = dict(TREE, datasets=dict(
    TREE['datasets'],
    boxes=dict(annotation='box', classes={0: ('e', 'e')})))


def test_slot_tables_by_hand():
    tree = LabelTree.build(TREE_BOX)
    assert tree.leaves == [3, 5, 6, 2]
    global_slot = tables.node_global_slot(
        tree.node_classifier, tree.node_slot, tree.classifier_offsets)
    assert global_slot.tolist() == [-1, 0, 1, 2, 3, 4, 5]
    # inverse of slot_nodes
    assert tree.slot_nodes[global_slot[1:]].tolist() == list(range(1, 7))
    pad = tree.total_slots
    assert pad == 6
    assert tree.leaf_path_index().tolist() == [
        [0, 2, pad], [0, 3, 4], [0, 3, 5], [1, pad, pad]]
    expected = np.zeros((4, 6), np.float32)
    for row, slots in enumerate([[0, 2], [0, 3, 4], [0, 3, 5], [1]]):
        expected[row, slots] = 1
    pm = tree.path_matrix()
    assert pm.dtype == np.float32
    np.testing.assert_array_equal(pm, expected)
    assert tree.slot_table().tolist() == [[0, 1], [2, 3], [4, 5]]
    # uneven classifiers are padded with the number of slots
    assert tables.slot_table([3, 2]).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert tables.slot_table([1, 3]).tolist() == [[0, 4, 4], [1, 2, 3]]


def test_decision_tables_are_the_trees():
    tree = LabelTree.build(TREE_BOX)
    t = tree.decision_tables()
    assert sorted(t) == [
        'node_own_classifier', 'path_matrix', 'slot_nodes', 'slot_table']
    assert t['node_own_classifier'].tolist() == [0, 1, -1, -1, 2, -1, -1]
    assert t['slot_nodes'].tolist() == [1, 2, 3, 4, 5, 6]
    np.testing.assert_array_equal(t['path_matrix'], tree.path_matrix())
    np.testing.assert_array_equal(t['slot_table'], tree.slot_table())


def test_code_tables_by_hand():
    tree = LabelTree.build(TREE_BOX)
    assert tree.encode('e', weak=True) == 7
    lut = tree.classifier_target_lut()
    expected = np.full((3, 256), -1)
    # codes: a 1, b 2, c 3, d 4, e 5, f 6, weak e 7
    expected[0, 1:8] = [0, 1, 0, 0, 0, 0, 0]
    expected[1, 3:8] = [0, 1, 1, 1, 1]
    expected[2, 5:8] = [0, 1, 0]
    np.testing.assert_array_equal(lut, expected)
    leaf = np.full(256, -1)
    leaf[[2, 3, 5, 6]] = [3, 0, 1, 2]
    np.testing.assert_array_equal(tree.code_to_leaf(), leaf)
    leaf[7] = 1  # weak e counts as its leaf only on request
    np.testing.assert_array_equal(tree.code_to_leaf(weak=True), leaf)
    # the functions on plain arrays give the same tables
    np.testing.assert_array_equal(
        tables.code_to_leaf(tree.code_to_node, tree.code_is_weak,
                            tree.leaf_index, weak=True), leaf)
    np.testing.assert_array_equal(
        tables.classifier_target_lut(
            tree.code_to_node, level_ancestor_table(tree.parent, tree.level),
            tree.node_classifier, tree.node_slot, 3), expected)


def test_codes_under_and_prediction_nodes_by_hand():
    from mmhier.taxonomy.tables import codes_under, prediction_nodes

    # nodes: 0 root, 1 road, 2 sign, 3 front (under sign); codes: 0 -> none,
    # 1 -> road, 2 -> sign, 3 -> front, 4 -> front (weak), 5 unused
    code_to_node = [-1, 1, 2, 3, 3, -1]
    in_sign = [False, False, True, True]
    assert codes_under(code_to_node, in_sign).tolist() == [
        False, False, True, True, True, False]
    # a flat model predicts the leaves (road 1, front 3) then the root
    assert prediction_nodes([1, 3], [0]).tolist() == [1, 3, 0]
    assert prediction_nodes([1, 3]).dtype == np.int64
