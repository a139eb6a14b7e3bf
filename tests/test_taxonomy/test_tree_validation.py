# Copyright (c) mmhier contributors. All rights reserved.
"""Every build-time validation error, each naming its culprit."""
import copy

import pytest

from mmhier.taxonomy import LabelTree, TaxonomyError

BASE = dict(
    name='base',
    tree={'root': ['a', 'b'], 'b': ['b1', 'b2']},
    datasets=dict(
        pix=dict(classes=[(0, 'void', None), (1, 'A', 'a'), (2, 'B', 'b')]),
        box=dict(annotation='box', classes=[(0, 'B1', 'b1')])))


def make(**changes):
    cfg = copy.deepcopy(BASE)
    cfg.update(changes)
    return cfg


def build_fails(cfg, pattern):
    with pytest.raises(TaxonomyError, match=pattern):
        LabelTree(cfg, source='bad_tree.py')


def test_base_is_valid():
    tree = LabelTree(BASE)
    assert tree.num_nodes == 5 and tree.weak_nodes == [3]


def test_error_is_a_value_error_and_names_the_file():
    with pytest.raises(ValueError, match=r'^bad_tree\.py: '):
        LabelTree(make(tree={'root': ['a']}), source='bad_tree.py')


def test_cycle():
    build_fails(
        make(tree={'root': ['a', 'b'], 'p': ['q', 'r'], 'q': ['p', 's']},
             datasets={}),
        r"cycle in the tree: 'p' -> 'q' -> 'p'|cycle in the tree: 'q' -> "
        r"'p' -> 'q'")


def test_cycle_without_any_root():
    build_fails(make(tree={'a': ['b', 'c'], 'b': ['a', 'd']}, datasets={}),
                r"cycle in the tree: .*'a'.*'b'")


def test_two_parents():
    build_fails(make(tree={'root': ['a', 'b'], 'b': ['a', 'c']}),
                "node 'a' has two parents: 'root' and 'b'")


def test_duplicate_name_in_one_list():
    build_fails(make(tree={'root': ['a', 'b', 'a']}),
                "duplicate node name 'a': listed twice under 'root'")


def test_duplicate_name_up_to_case():
    build_fails(make(tree={'root': ['a', 'b'], 'b': ['Snow', 'snow ']}),
                "duplicate node name: 'Snow' and 'snow '")


def test_several_roots():
    build_fails(make(tree={'root': ['a', 'b'], 'r2': ['c', 'd']}),
                r"several roots: \['root', 'r2'\]")


def test_internal_node_with_one_child():
    build_fails(make(tree={'root': ['a', 'b'], 'b': ['b1']}),
                "internal node 'b' has 1 child")


def test_unknown_node_in_dataset():
    build_fails(make(datasets=dict(
        pix=dict(classes=[(0, 'A', 'a'), (1, 'Z', 'zeta')]))),
        r"dataset 'pix': raw id 1 \('Z'\) maps to unknown node 'zeta'")


def test_raw_id_mapped_twice():
    build_fails(make(datasets=dict(
        pix=dict(classes=[(0, 'A', 'a'), (1, 'B', 'b'), (1, 'B2', 'b2')]))),
        "dataset 'pix': raw id 1 is mapped twice")


def test_raw_id_not_mapped():
    build_fails(make(datasets=dict(
        pix=dict(classes=[(0, 'A', 'a'), (2, 'B', 'b'), (4, 'C', None)]))),
        r"dataset 'pix': raw id\(s\) \[1, 3\] of its official label list "
        r"\(0..4\) are not mapped")
    build_fails(make(datasets=dict(
        pix=dict(num_classes=3, classes={0: ('A', 'a'), 1: ('B', 'b')}))),
        r"dataset 'pix': raw id\(s\) \[2\]")


def test_class_name_used_twice():
    build_fails(make(datasets=dict(
        pix=dict(classes=[(0, 'A', 'a'), (1, 'A', 'b')]))),
        r"dataset 'pix': class name 'A' is used by raw ids 0 and 1")


def test_too_many_nodes_for_uint8():
    many = ['n%d' % i for i in range(255)]
    build_fails(make(tree={'root': many}, datasets={}),
                '256 nodes .* exceed the uint8 encoding')
    # 255 nodes use codes 0..254 and still fit beside ignore = 255
    assert LabelTree(make(tree={'root': many[:254]}, datasets={})).num_codes \
        == 255


def test_too_many_nodes_counting_weak_nodes():
    gs = ['g%d' % i for i in range(150)]
    cfg = make(tree={'root': ['g', 'h'], 'g': gs,
                     'h': ['h%d' % i for i in range(50)]},
               datasets=dict(
                   pix=dict(classes=[(0, 'G', 'g'), (1, 'H', 'h')]),
                   box=dict(annotation='box',
                            classes=[(i, gs[i], gs[i]) for i in range(60)])))
    build_fails(cfg, r'203 nodes \+ 60 weak \(box\) nodes = 263 label codes')
    del cfg['datasets']['box']
    assert LabelTree(cfg).num_codes == 203  # fits without the weak codes


def test_weak_label_under_node_without_classifier():
    build_fails(make(datasets=dict(
        pix=BASE['datasets']['pix'],
        box=dict(annotation='box', classes=[(0, 'B1', 'b1'), (1, 'A', 'a')]))),
        r"dataset 'box': weak \(box\) label raw id 1 \('A'\) maps to node "
        r"'a', which only the root classifier decides")


def test_label_mapped_to_root():
    build_fails(make(datasets=dict(
        pix=dict(classes=[(0, 'A', 'a'), (1, 'all', 'root')]))),
        r"dataset 'pix': raw id 1 \('all'\) maps to the root 'root'")


def test_root_not_supervised_per_pixel():
    build_fails(make(datasets=dict(
        box=BASE['datasets']['box'],
        view=dict(eval_only=True, classes=[(0, 'A', 'a')]))),
        'root classifier is not supervised by any per-pixel training dataset')


def test_bad_dataset_keys():
    build_fails(make(datasets=dict(pix=dict(classes=[(0, 'A', 'a')],
                                            colour=1))),
                r"dataset 'pix': unknown key\(s\) \['colour'\]")
    build_fails(make(datasets=dict(pix=dict(annotation='polygon',
                                            classes=[(0, 'A', 'a')]))),
                "dataset 'pix': annotation must be one of")
    build_fails(make(datasets=dict(pix=dict(classes=[(0, 'A', 'a')],
                                            skip_classifiers=['a']))),
                "skip_classifiers entry 'a' is not an internal node")
    build_fails(make(datasets=dict(pix=dict(classes=[(0, 'A', 'a')]),
                                   v=dict(base='nope'))),
                "dataset 'v': base 'nope' is not a dataset")


def test_level_weights_too_short():
    build_fails(make(level_weights=[1.0]),
                r'level_weights \[1.0\] has 1 entries but the tree has 2')
