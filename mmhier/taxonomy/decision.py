# Copyright (c) mmhier contributors. All rights reserved.
"""The decision rules of a tree of softmax classifiers, on leaf
log-probabilities (Meletis & Dubbelman, "Training of Convolutional Networks
on Multiple Heterogeneous Datasets for Street Scene Semantic Segmentation",
IEEE IV 2018, Sec. III-C).

* **greedy** (the paper's rule): the root classifier decides every pixel,
  each child classifier decides only the pixels its parent assigned to it,
  and the label is the deepest decision,
  :math:`\\hat y_{j,p} = \\arg\\max_i \\sigma^j_{p,i}` for
  :math:`p \\in P_j`, where :math:`P_j` is the set of pixels routed to
  classifier :math:`j` by its ancestors' decisions;
* **soft**: the leaf with the largest product of the probabilities along
  its path, :math:`\\arg\\max_l \\prod_{(j, s) \\in path(l)} \\sigma^j_s`.

Both read the same leaf log-probabilities, so slide inference and test-time
augmentation can average those first and decide after the merge. The two
rules differ where a deep classifier is unsure: with a diffuse 43-way sign
classifier a pixel the root calls "traffic sign" can still go to a root
leaf (pole, building) under the soft rule, whose sign leaves are each
scaled down by the sign classifier's spread.

The tables are derived from the :class:`LabelTree` once
(:func:`decision_tables`) and are plain numpy arrays, so that the model, the
metrics and the exporters share one definition.
"""
from typing import Dict, Tuple

import numpy as np


def decision_tables(tree) -> Dict[str, np.ndarray]:
    """Lookup tables of both decision rules.

    Returns:
        dict[str, np.ndarray]:

        * ``path_matrix`` ``[L, S]`` float32 (``LabelTree.path_matrix``);
        * ``leaf_path_index`` ``[L, D]`` int64: global slots on each leaf's
          path, padded with ``S``;
        * ``leaf_level_nodes`` ``[L, D]`` int64: node of each leaf's path
          at tree level ``d + 1``, -1 below the leaf;
        * ``slot_table`` ``[J, K]`` int64: global slots of each classifier,
          padded with ``S``;
        * ``slot_child_node`` ``[S]`` (``LabelTree.slot_nodes``);
        * ``node_classifier_index`` ``[N]`` (``LabelTree.node_own_classifier``,
          -1 for a leaf);
        * ``node_leaf_index`` ``[N]`` (``LabelTree.leaf_index``);
        * ``max_depth``: number of classifier levels ``D`` (0-dim).
    """
    total = int(tree.total_slots)
    offsets = list(tree.classifier_offsets)
    paths = [tree.leaf_path(i) for i in range(tree.num_leaves)]
    depth = max(len(p) for p in paths)
    leaf_path_index = np.full((tree.num_leaves, depth), total, np.int64)
    leaf_level_nodes = np.full((tree.num_leaves, depth), -1, np.int64)
    for i, path in enumerate(paths):
        leaf = tree.leaves[i]
        chain = list(reversed(tree.ancestors(leaf)))[1:] + [leaf]
        for d, (j, s) in enumerate(path):
            leaf_path_index[i, d] = offsets[j] + s
            leaf_level_nodes[i, d] = chain[d]
    max_k = max(tree.classifier_sizes)
    slot_table = np.full((tree.num_classifiers, max_k), total, np.int64)
    for j, size in enumerate(tree.classifier_sizes):
        slot_table[j, :size] = offsets[j] + np.arange(size)
    return dict(
        path_matrix=np.asarray(tree.path_matrix(), np.float32),
        leaf_path_index=leaf_path_index,
        leaf_level_nodes=leaf_level_nodes,
        slot_table=slot_table,
        slot_child_node=np.asarray(tree.slot_nodes, np.int64),
        node_classifier_index=np.asarray(tree.node_own_classifier, np.int64),
        node_leaf_index=np.asarray(tree.leaf_index, np.int64),
        max_depth=np.asarray(depth, np.int64))


def greedy_decision(leaf_logp, path_matrix, slot_table, slot_child_node,
                    node_classifier_index, max_depth: int) -> Tuple:
    """The paper's top-down rule, vectorised over pixels (torch tensors).

    The conditional probability of child ``c`` at classifier ``j`` equals
    ``P(c) / P(j)`` where ``P(n)`` is the sum of the probabilities of the
    leaves under ``n``; siblings share the denominator, so each classifier's
    argmax is the argmax of the children's marginals. This lets the rule run
    on leaf log-probabilities (after resize, slide or TTA), walking at most
    ``max_depth`` levels with gathers.

    Args:
        leaf_logp (Tensor): ``[B, L, H, W]`` leaf log-probabilities.
        path_matrix, slot_table, slot_child_node, node_classifier_index:
            tensors of :func:`decision_tables`.
        max_depth (int): Number of classifier levels.

    Returns:
        tuple[Tensor, Tensor]: node decided at each level ``[B, D, H, W]``
        (-1 below the leaf) and the decided leaf's node id ``[B, H, W]``.
    """
    import torch

    # Marginals of every slot's child, scaled by the per-pixel max leaf
    # probability (>= 1 in total, so the decided path never underflows).
    probs = (leaf_logp - leaf_logp.amax(dim=1, keepdim=True)).exp()
    slot_marg = torch.einsum('ls,blhw->bshw', path_matrix, probs)
    # padded slot reads -1: never the argmax
    slot_marg = torch.cat([slot_marg, slot_marg.new_full(
        (slot_marg.shape[0], 1) + slot_marg.shape[2:], -1.)], dim=1)
    b, _, h, w = leaf_logp.shape
    cls = leaf_logp.new_zeros((b, h, w), dtype=torch.long)  # root classifier
    node = torch.zeros_like(cls)
    active = torch.ones_like(cls, dtype=torch.bool)
    levels = []
    for _ in range(int(max_depth)):
        cand = slot_table[cls].permute(0, 3, 1, 2)  # [B, K, H, W]
        best = slot_marg.gather(1, cand).argmax(dim=1, keepdim=True)
        slot = cand.gather(1, best).squeeze(1)
        child = slot_child_node[slot]
        node = torch.where(active, child, node)
        levels.append(torch.where(active, child, torch.full_like(child, -1)))
        nxt = node_classifier_index[child]
        active = active & (nxt >= 0)
        cls = torch.where(active, nxt, cls)
    return torch.stack(levels, dim=1), node
