# Copyright (c) mmhier contributors. All rights reserved.
"""``greedy_decision`` (the vectorised top-down rule) against a plain
per-pixel walk down the tree, on the paper's 108-leaf tree, ties
included."""
import os.path as osp

import numpy as np
import torch

from mmhier.taxonomy import LabelTree
from mmhier.taxonomy.decision import (classifier_slot_lists, greedy_decision,
                                      slot_leaf_list)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TREE = 'configs/_base_/taxonomies/cvg_cityscapes_vistas_gtsdb.py'


def walk(tree: LabelTree, leaf_probs: np.ndarray, under: dict):
    """The rule as the paper states it, one pixel: from the root, each
    classifier picks the child whose subtree holds the most leaf
    probability (the first child on a tie), down to a leaf. ``under``:
    node -> its leaf indices."""
    node, path = 0, []
    while tree.children(node):
        marginals = [leaf_probs[under[c]].sum() for c in tree.children(node)]
        node = tree.children(node)[int(np.argmax(marginals))]
        path.append(node)
    return path


def decide(tree, leaf_probs):
    tables = {k: torch.from_numpy(v) for k, v in
              tree.decision_tables().items()}
    return greedy_decision(leaf_probs.log().float(), max_depth=tree.depth,
                           **tables)


def test_greedy_decision_equals_the_per_pixel_walk():
    tree = LabelTree.fromfile(osp.join(REPO, TREE))
    gen = torch.Generator().manual_seed(0)
    # 2 images x 7 x 9 pixels, peaked random leaf probabilities
    probs = (3 * torch.randn(2, tree.num_leaves, 7, 9, generator=gen,
                             dtype=torch.float64)).softmax(1)
    levels, node = decide(tree, probs)
    assert levels.shape == (2, tree.depth, 7, 9)
    under = {n: tree.leaves_under(n) for n in range(tree.num_nodes)}
    depths = set()
    for b in range(2):
        for y in range(7):
            for x in range(9):
                path = walk(tree, probs[b, :, y, x].numpy(), under)
                assert node[b, y, x] == path[-1]
                assert levels[b, :, y, x].tolist() == \
                    path + [-1] * (tree.depth - len(path))
                depths.add(len(path))
    assert depths == {1, 2, 3}  # pixels ended at every level


def test_a_tie_goes_to_the_first_child():
    tree = LabelTree.fromfile(osp.join(REPO, TREE))
    root_leaves = [c for c in tree.children(0) if tree.is_leaf(c)]
    first, second = root_leaves[0], root_leaves[1]
    probs = torch.full((1, tree.num_leaves, 1, 2), 1e-6, dtype=torch.float64)
    # pixel 0: the two leaves tie; pixel 1: the second one leads
    probs[0, tree.leaf_index[[first, second]], 0, 0] = 0.4
    probs[0, tree.leaf_index[first], 0, 1] = 0.3
    probs[0, tree.leaf_index[second], 0, 1] = 0.5
    levels, node = decide(tree, probs)
    assert node.tolist() == [[[first, second]]]
    assert levels[0, 1:].eq(-1).all()


def test_slot_leaf_list_marks_single_leaf_slots():
    # 3 leaves, 5 slots: slot 0 holds leaves 0 and 1 (an inner node), slots
    # 1, 2, 3 one leaf each, slot 4 all three
    path_matrix = torch.tensor([[1., 1., 0., 0., 1.],
                                [1., 0., 1., 0., 1.],
                                [0., 0., 0., 1., 1.]])
    assert slot_leaf_list(path_matrix) == [-1, 0, 1, 2, -1]
    tree = LabelTree.fromfile(osp.join(REPO, TREE))
    leaves = slot_leaf_list(tree.path_matrix())
    # every leaf has one slot of its own; the paper's tree has 4 inner
    # nodes below the root (driveable, rider, traffic sign, its front)
    assert sorted(i for i in leaves if i >= 0) == list(range(tree.num_leaves))
    assert leaves.count(-1) == 4


def test_precomputed_tables_give_the_same_decision():
    tree = LabelTree.fromfile(osp.join(REPO, TREE))
    tables = {k: torch.from_numpy(v) for k, v in
              tree.decision_tables().items()}
    logp = torch.randn(1, tree.num_leaves, 5, 6,
                       generator=torch.Generator().manual_seed(1)
                       ).log_softmax(1)
    levels, node = greedy_decision(logp, max_depth=tree.depth, **tables)
    slots = classifier_slot_lists(tables['slot_table'].tolist(),
                                  len(tables['slot_nodes']))
    levels2, node2 = greedy_decision(
        logp, max_depth=tree.depth, classifier_slots=slots,
        slot_leaves=slot_leaf_list(tables['path_matrix']), **tables)
    assert torch.equal(levels, levels2) and torch.equal(node, node2)
