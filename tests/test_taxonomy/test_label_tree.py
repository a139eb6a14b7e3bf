# Copyright (c) mmhier contributors. All rights reserved.
"""Compilation of a tiny hand-written tree: every table checked against
values worked out by hand (see the drawing below)."""
import numpy as np
import pytest
import torch

from mmhier.taxonomy import (IGNORE_INDEX, DatasetSpec, LabelTree,
                             TaxonomyError, UnknownLabelError)

#            root                      ids (breadth-first):
#     ┌───────┼──────────┐              root 0 | a 1 b 2 c 3
#     a       b          c              b1 4 b2 5 | c1 6 c2 7 c3 8
#           ┌─┴─┐    ┌───┼───┐          x 9 y 10
#           b1  b2   c1  c2  c3
#                       ┌┴┐
#                       x  y
TINY = dict(
    name='tiny',
    tree={
        'root': ['a', 'b', 'c'],
        'b': ['b1', 'b2'],
        'c': ['c1', 'c2', 'c3'],
        'c2': ['x', 'y'],
    },
    level_weights=[1.0, 0.5, 0.25],
    node_weights={'c': 2.0},
    palette={'a': [1, 2, 3]},
    datasets=dict(
        d1=dict(
            annotation='pixel',
            classes=[(0, 'void', None), (1, 'A', 'a'), (2, 'B', 'b'),
                     (3, 'X', 'x'), (4, 'C2', 'c2')],
            skip_classifiers=['c2']),
        d2=dict(annotation='box', classes={0: ('Y', 'y'), 1: ('B1', 'b1')}),
        d1view=dict(base='d1', eval_ignore=[3]),
        d3=dict(classes=[(0, 'A', 'a'), (1, 'A too', 'a')], eval_only=True,
                ignore_ids=[255]),
    ))


@pytest.fixture(scope='module')
def tree():
    return LabelTree.build(TINY)


def test_structure(tree):
    assert tree.node_names == [
        'root', 'a', 'b', 'c', 'b1', 'b2', 'c1', 'c2', 'c3', 'x', 'y']
    assert tree.num_nodes == 11 and tree.depth == 3
    assert tree.parent.tolist() == [-1, 0, 0, 0, 2, 2, 3, 3, 3, 7, 7]
    assert tree.level.tolist() == [0, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3]
    assert tree.node_id('c2') == 7 and tree.node_id(7) == 7
    assert tree.children('c') == [6, 7, 8] and tree.children('x') == []
    assert tree.is_leaf('x') and not tree.is_leaf('c2')
    assert tree.ancestors('y') == [7, 3, 0] and tree.ancestors(0) == []
    assert tree.is_ancestor('c', 'y') and not tree.is_ancestor('b', 'y')


def test_classifiers(tree):
    assert tree.classifier_nodes == [0, 2, 3, 7]
    assert tree.classifier_names == ['root', 'b', 'c', 'c2']
    assert tree.num_classifiers == 4
    assert tree.classifier_sizes == [3, 2, 3, 2]
    assert tree.classifier_level == [1, 2, 2, 3]
    assert tree.classifier_offsets == [0, 3, 5, 8]
    assert tree.total_slots == 10
    assert tree.node_classifier.tolist() == [-1, 0, 0, 0, 1, 1, 2, 2, 2, 3, 3]
    assert tree.node_slot.tolist() == [-1, 0, 1, 2, 0, 1, 0, 1, 2, 0, 1]
    assert tree.node_own_classifier.tolist() == [
        0, -1, 1, 2, -1, -1, -1, 3, -1, -1, -1]
    assert tree.classifier_parent == [-1, 0, 0, 2]
    assert tree.classifier_parent_slot == [-1, 1, 2, 1]
    assert tree.slot_nodes.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert tree.level_weights == [1.0, 0.5, 0.25]
    assert tree.classifier_loss_weights.tolist() == [1.0, 0.5, 2.0, 0.25]


def test_leaves_and_paths(tree):
    assert tree.leaves == [1, 4, 5, 6, 9, 10, 8]  # depth-first
    assert tree.leaf_names == ['a', 'b1', 'b2', 'c1', 'x', 'y', 'c3']
    assert tree.num_leaves == 7
    assert tree.leaf_index.tolist() == [-1, 0, -1, -1, 1, 2, 3, -1, 6, 4, 5]
    assert tree.leaves_under('c') == [3, 4, 5, 6]
    assert tree.leaves_under('c2') == [4, 5]
    assert tree.leaves_under('x') == [4]
    assert tree.leaves_under('root') == list(range(7))
    assert tree.leaf_path(5) == [(0, 2), (2, 1), (3, 1)]  # y
    assert tree.leaf_path(0) == [(0, 0)]  # a
    assert tree.node_path('c2') == [(0, 2), (2, 1)]
    expected = np.zeros((7, 10))
    for row, slots in enumerate([[0], [1, 3], [1, 4], [2, 5], [2, 6, 8],
                                 [2, 6, 9], [2, 7]]):
        expected[row, slots] = 1
    np.testing.assert_array_equal(tree.path_matrix(), expected)
    pm = tree.path_matrix()
    assert pm.dtype == np.float32 and pm.shape == (7, 10)


def test_path_matrix_gives_a_distribution(tree):
    # leaf log-probs from the path matrix must be a normalised distribution
    logits = torch.randn(10, generator=torch.Generator().manual_seed(0))
    logp = torch.cat([
        torch.log_softmax(logits[o:o + s], 0)
        for o, s in zip(tree.classifier_offsets, tree.classifier_sizes)])
    leaf_logp = torch.as_tensor(tree.path_matrix()) @ logp
    assert torch.allclose(leaf_logp.exp().sum(), torch.tensor(1.0))
    # y = P(c | root) * P(c2 | c) * P(y | c2)
    p = [torch.softmax(logits[o:o + s], 0)
         for o, s in zip(tree.classifier_offsets, tree.classifier_sizes)]
    assert torch.allclose(leaf_logp[5].exp(), p[0][2] * p[2][1] * p[3][1])


def test_encoding(tree):
    assert tree.weak_nodes == [4, 10]  # b1, y (box dataset d2), sorted
    assert tree.weak_offset == 11 and tree.num_codes == 13
    assert tree.encode('x') == 9
    assert tree.encode('b1', weak=True) == 11
    assert tree.encode('y', weak=True) == 12
    with pytest.raises(ValueError, match="'x' has no weak code"):
        tree.encode('x', weak=True)
    with pytest.raises(ValueError, match='root has no label code'):
        tree.encode('root')
    expected = np.full(256, -1)
    expected[1:11] = np.arange(1, 11)
    expected[11], expected[12] = 4, 10
    np.testing.assert_array_equal(tree.code_to_node, expected)
    assert np.flatnonzero(tree.code_is_weak).tolist() == [11, 12]


def test_classifier_target_lut(tree):
    lut = tree.classifier_target_lut()
    assert lut.shape == (4, 256)
    expected = np.full((4, 256), -1)
    # root: a->0; b, b1, b2, weak b1 -> 1; c and everything under it -> 2
    expected[0, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]] = [
        0, 1, 2, 1, 1, 2, 2, 2, 2, 2, 1, 2]
    expected[1, [4, 5, 11]] = [0, 1, 0]
    expected[2, [6, 7, 8, 9, 10, 12]] = [0, 1, 2, 1, 1, 1]
    expected[3, [9, 10, 12]] = [0, 1, 1]
    np.testing.assert_array_equal(lut, expected)
    assert lut.dtype == np.int64


def test_dataset_luts_and_mapping(tree):
    assert tree.dataset_names == ['d1', 'd2', 'd1view', 'd3']
    np.testing.assert_array_equal(tree.dataset_lut('d1'), [255, 1, 2, 9, 7])
    np.testing.assert_array_equal(tree.dataset_lut('d2'), [12, 11])
    raw = np.array([[0, 1], [3, 4]], dtype=np.uint8)
    out = tree.map_raw_ids('d1', raw)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, [[255, 1], [9, 7]])
    # declared ignore ids pass through as ignore
    np.testing.assert_array_equal(
        tree.map_raw_ids('d3', np.array([0, 255, 1])), [1, 255, 1])
    assert tree.dataset_classifier_mask('d1').tolist() == [
        True, True, True, False]
    assert tree.dataset_classifier_mask('d2').all()
    info = tree.dataset_info('d1view')
    assert info['eval_only'] and info['annotation'] == 'pixel'
    assert info['raw_to_node'].tolist() == [0, 1, 2, 9, 7]


def test_map_raw_ids_names_file_and_ids(tree):
    with pytest.raises(UnknownLabelError,
                       match=r"img_7\.png: label id\(s\) \[5, 9\] .* 'd1'"):
        tree.map_raw_ids('d1', np.array([[1, 5], [9, 5]]), 'img_7.png')
    with pytest.raises(KeyError):  # also a KeyError, as the contract says
        tree.map_raw_ids('d2', np.array([-1, 0]))
    with pytest.raises(ValueError, match='must be integers'):
        tree.map_raw_ids('d1', np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="unknown dataset 'nope'"):
        tree.map_raw_ids('nope', np.zeros(2, np.uint8))


def test_projection_to_dataset_space(tree):
    assert tree.dataset_eval_classes('d1') == ['A', 'B', 'X', 'C2']
    assert tree.dataset_eval_nodes('d1') == [1, 2, 9, 7]
    # leaves a b1 b2 c1 x y c3: b1/b2 -> B, y -> C2 (nearest mapped
    # ancestor), c1/c3 have none -> 255
    np.testing.assert_array_equal(tree.leaf_to_dataset('d1'),
                                  [0, 1, 1, 255, 2, 3, 255])
    np.testing.assert_array_equal(tree.raw_to_eval('d1'), [255, 0, 1, 2, 3])
    code = tree.code_to_dataset('d1')
    assert code[[0, 1, 4, 9, 10, 11, 12, 255]].tolist() == [
        255, 0, 1, 2, 3, 1, 3, 255]
    # exact: only codes of the eval nodes themselves (a 1, x 9); b1 (code 4,
    # weak 11) and y (code 10, weak 12) lie below B / C2 -> 255
    exact = tree.code_to_dataset('d1', exact=True)
    assert exact[[0, 1, 4, 9, 10, 11, 12, 255]].tolist() == [
        255, 0, 255, 2, 255, 255, 255, 255]
    # eval view: X is not evaluated, so x projects to its ancestor c2
    assert tree.dataset_eval_classes('d1view') == ['A', 'B', 'C2']
    np.testing.assert_array_equal(tree.leaf_to_dataset('d1view'),
                                  [0, 1, 1, 255, 2, 2, 255])
    np.testing.assert_array_equal(tree.raw_to_eval('d1view'),
                                  [255, 0, 1, 255, 2])
    assert tree.dataset_eval_classes('d2') == ['Y', 'B1']
    np.testing.assert_array_equal(tree.leaf_to_dataset('d2'),
                                  [255, 1, 255, 255, 255, 0, 255])
    # two raw classes on one node: one eval class named after the node
    assert tree.dataset_eval_classes('d3') == ['a']
    assert tree.raw_to_eval('d3')[[0, 1, 255]].tolist() == [0, 0, 255]


def test_build_sources_and_cache(tmp_path):
    tree = LabelTree.build(TINY)
    assert LabelTree.build(tree) is tree
    assert LabelTree.build(dict(taxonomy=TINY)).node_names == tree.node_names
    path = tmp_path / 'tiny_tree.py'
    path.write_text(f'taxonomy = {TINY!r}\n')
    from_file = LabelTree.build(str(path))
    assert from_file is LabelTree.fromfile(path)  # built once, cached
    assert from_file.source == str(path)
    assert from_file.leaf_names == tree.leaf_names
    meta = tree.metainfo()
    assert meta['classes'][0] == 'a' and meta['palette'][0] == [1, 2, 3]
    assert len(meta['palette']) == 7
    assert 'tiny' in repr(tree) and 'c2:2' in repr(tree)
    assert IGNORE_INDEX == 255


def test_build_rejects_bad_sources(tmp_path):
    with pytest.raises(ValueError, match='not found'):
        LabelTree.build(str(tmp_path / 'missing.py'))
    path = tmp_path / 'no_var.py'
    path.write_text('tree = dict()\n')
    with pytest.raises(ValueError, match='no_var.py: no top-level variable'):
        LabelTree.fromfile(path)
    with pytest.raises(ValueError, match='cannot build a LabelTree from int'):
        LabelTree.build(3)


def test_tree_paths_resolve_from_any_directory(tmp_path, monkeypatch):
    """Repo-relative and ``mmhier::`` paths work outside the repo root."""
    monkeypatch.chdir(tmp_path)
    rel = LabelTree.build('configs/_base_/taxonomies/synthetic_street.py')
    scoped = LabelTree.build('mmhier::_base_/taxonomies/synthetic_street.py')
    assert rel is scoped  # same file, same cached tree
    with pytest.raises(TaxonomyError, match='no_such_tree.py'):
        LabelTree.build('configs/no_such_tree.py')


def test_dataset_spec(tree):
    spec = tree.dataset_spec('d2')
    assert isinstance(spec, DatasetSpec)
    assert spec.is_weak and not tree.dataset_spec('d1').is_weak
    assert spec.raw_to_node.tolist() == [10, 4]  # y, b1
    assert spec.lut.tolist() == [12, 11]  # their weak codes
    # d3 declares 255 as ignore: a LUT entry, known, mapped to ignore
    d3 = tree.dataset_spec('d3')
    assert len(d3.lut) == 256 and d3.lut[255] == IGNORE_INDEX
    assert d3.known[[0, 1, 255]].all() and not d3.known[2:255].any()
    # the view takes d1's label list but not its skip_classifiers
    view = tree.dataset_spec('d1view')
    assert view.class_names == tree.dataset_spec('d1').class_names
    assert view.skip_classifiers == [] and view.eval_ignore == [3]
    with pytest.raises(TaxonomyError, match="unknown dataset 'nope'"):
        tree.dataset_spec('nope')
