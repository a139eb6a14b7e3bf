# Copyright (c) mmhier contributors. All rights reserved.
"""Lookup tables derived from a label tree's structure.

Pure numpy functions of the arrays a :class:`~mmhier.taxonomy.LabelTree`
compiles (``parent``, ``level``, ``node_classifier``, ``node_slot``, ...).
The tree exposes each table as a method of the same name
(``LabelTree.path_matrix()``, ...; :func:`node_global_slot` is an
intermediate step), and the head, the loss, the metrics and the exporters
read them from the tree.

Vocabulary (Meletis & Dubbelman, "Training of Convolutional Networks on
Multiple Heterogeneous Datasets for Street Scene Semantic Segmentation", IEEE
IV 2018, Sec. III): classifier ``j`` (internal node) has one *slot* per
child; the *global slot* of ``(j, s)`` is ``classifier_offsets[j] + s``, its
index in the concatenation of all classifiers' outputs (``S`` slots). A
leaf's log-probability is the sum of the log-softmax slots on its path:

.. math::

    \\log p(l) = \\sum_{(j, s) \\in path(l)} \\log \\sigma^j_s
               = (P \\, [\\log \\sigma^1; \\dots; \\log \\sigma^J])_l

with :math:`P` the :func:`path_matrix`.
"""
from typing import Sequence

import numpy as np

from .encoding import NUM_CODE_VALUES


def level_ancestor_table(parent, level) -> np.ndarray:
    """``[num_nodes, depth]``: ancestor-or-self of each node at tree level
    ``d + 1`` (-1 where the node is above that level; the root's level 0 is
    not stored).

    Args:
        parent (Sequence[int]): Parent node id of every node (root: -1, node
            0).
        level (Sequence[int]): Level of every node (root 0).
    """
    parent = np.asarray(parent)
    level = np.asarray(level)
    num_nodes, depth = len(parent), int(level.max())
    table = np.full((num_nodes, depth), -1, np.int64)
    for n in range(num_nodes):
        a = n
        while a > 0:
            table[n, level[a] - 1] = a
            a = parent[a]
    return table


def node_global_slot(node_classifier, node_slot,
                     classifier_offsets) -> np.ndarray:
    """``[num_nodes]`` int64: global slot deciding each node
    (``classifier_offsets[node_classifier[n]] + node_slot[n]``), -1 for the
    root. The inverse of ``LabelTree.slot_nodes``.

    Args:
        node_classifier (Sequence[int]): Classifier deciding each node (-1
            for the root).
        node_slot (Sequence[int]): Slot of each node in that classifier.
        classifier_offsets (Sequence[int]): First global slot of each
            classifier.
    """
    node_classifier = np.asarray(node_classifier, np.int64)
    offsets = np.asarray(classifier_offsets, np.int64)
    return np.where(node_classifier >= 0,
                    offsets[node_classifier.clip(0)] + np.asarray(node_slot),
                    -1).astype(np.int64)


def leaf_path_index(leaf_level_ancestors, global_slot,
                    total_slots: int) -> np.ndarray:
    """``[num_leaves, depth]`` int64: global slots on each leaf's path, from
    the root down, padded with ``total_slots`` below the leaf (a gather from
    slot log-probabilities padded with one zero then sums each path).

    Args:
        leaf_level_ancestors (np.ndarray): ``[num_leaves, depth]`` rows of
            :func:`level_ancestor_table` for the leaves.
        global_slot (Sequence[int]): :func:`node_global_slot`.
        total_slots (int): Number of slots ``S``.
    """
    chain = np.asarray(leaf_level_ancestors, np.int64)
    global_slot = np.asarray(global_slot, np.int64)
    return np.where(chain >= 0, global_slot[chain.clip(0)],
                    total_slots).astype(np.int64)


def path_matrix(leaf_path_index, total_slots: int) -> np.ndarray:
    """``[num_leaves, total_slots]`` float32 0/1: row ``l`` marks the global
    slots on leaf ``l``'s path, so that ``leaf_logp = P @ concat_j
    log_softmax(z_j)``.

    Args:
        leaf_path_index (np.ndarray): :func:`leaf_path_index`.
        total_slots (int): Number of slots ``S`` (the padding value).
    """
    index = np.asarray(leaf_path_index, np.int64)
    mat = np.zeros((len(index), total_slots + 1), np.float32)
    np.put_along_axis(mat, index, 1, axis=1)
    return mat[:, :total_slots]


def slot_table(classifier_sizes: Sequence[int]) -> np.ndarray:
    """``[num_classifiers, max size]`` int64: global slots of each
    classifier, padded with the number of slots ``S``.

    Args:
        classifier_sizes (Sequence[int]): Slots (children) of each
            classifier, in classifier order.
    """
    sizes = [int(s) for s in classifier_sizes]
    total = sum(sizes)
    table = np.full((len(sizes), max(sizes)), total, np.int64)
    offset = 0
    for j, size in enumerate(sizes):
        table[j, :size] = offset + np.arange(size)
        offset += size
    return table


def classifier_target_lut(code_to_node, level_ancestors, node_classifier,
                          node_slot, num_classifiers: int) -> np.ndarray:
    """Targets of every classifier for every label code.

    Entry ``[j, c]`` is the slot classifier ``j`` must predict for a pixel
    with code ``c`` (the child of ``j``'s node on the path to the code's
    node), or -1 if that node is not strictly inside ``j``'s subtree, or
    ``c`` is ignore / the root / unused. Weak codes map like their node.

    Args:
        code_to_node (Sequence[int]): ``[256]`` node of each code, <= 0 for
            none (``mmhier/taxonomy/encoding.py``).
        level_ancestors (np.ndarray): :func:`level_ancestor_table`.
        node_classifier (Sequence[int]): Classifier deciding each node.
        node_slot (Sequence[int]): Slot of each node in that classifier.
        num_classifiers (int): Number of classifiers ``J``.

    Returns:
        np.ndarray: int64 ``[num_classifiers, 256]``.
    """
    node_classifier = np.asarray(node_classifier, np.int64)
    node_slot = np.asarray(node_slot, np.int64)
    lut = np.full((num_classifiers, NUM_CODE_VALUES), -1, np.int64)
    for code, node in enumerate(np.asarray(code_to_node)):
        if node <= 0:
            continue
        chain = level_ancestors[node]
        chain = chain[chain >= 0]
        lut[node_classifier[chain], code] = node_slot[chain]
    return lut


def code_to_leaf(code_to_node, code_is_weak, leaf_index,
                 weak: bool = False) -> np.ndarray:
    """``[256]`` int64: leaf index (into the tree's leaves) of each label
    code of a leaf, -1 for every other code (ignore, the root, internal
    nodes, unused codes and, unless ``weak``, weak codes).

    Args:
        code_to_node (Sequence[int]): ``[256]`` node of each code, <= 0 for
            none.
        code_is_weak (Sequence[bool]): ``[256]`` whether a code is weak.
        leaf_index (Sequence[int]): Leaf index of each node, -1 for
            internal nodes.
        weak (bool): Map weak codes of leaves like their leaf. Defaults to
            False.
    """
    code_to_node = np.asarray(code_to_node, np.int64)
    leaf_index = np.asarray(leaf_index, np.int64)
    leaf = np.where(code_to_node > 0, leaf_index[code_to_node.clip(0)], -1)
    if not weak:
        leaf[np.asarray(code_is_weak, bool)] = -1
    return leaf.astype(np.int64)


def codes_under(code_to_node, in_subtree) -> np.ndarray:
    """``[256]`` bool: the label codes (per-pixel or weak) whose node lies in
    a subtree.

    Args:
        code_to_node (Sequence[int]): ``[256]`` node of each code, < 0 for
            none.
        in_subtree (Sequence[bool]): ``[num_nodes]`` whether a node is in the
            subtree (the subtree's root included).
    """
    code_to_node = np.asarray(code_to_node, np.int64)
    in_subtree = np.asarray(in_subtree, bool)
    return (code_to_node >= 0) & in_subtree[code_to_node.clip(0)]


def prediction_nodes(leaves, coarse_nodes=()) -> np.ndarray:
    """``[num_leaves + len(coarse_nodes)]`` int64: the node of each class a
    model predicts: the leaves in leaf order, then the extra coarse classes
    of a flat baseline (internal nodes, e.g. GTSDB's "unlabeled" root).

    Args:
        leaves (Sequence[int]): Leaf node ids in leaf order.
        coarse_nodes (Sequence[int]): Node ids of the extra classes.
    """
    return np.asarray(list(leaves) + list(coarse_nodes), np.int64)
