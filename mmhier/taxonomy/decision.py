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

The tables are the tree's (:meth:`LabelTree.decision_tables
<mmhier.taxonomy.LabelTree.decision_tables>`, keyed by the arguments of
:func:`greedy_decision`), so that the model, the metrics and the exporters
share one definition.
"""
import warnings
from typing import TYPE_CHECKING, List, Optional, Tuple

if TYPE_CHECKING:
    from torch import Tensor


def classifier_slot_lists(slot_table, num_slots: int) -> List[List[int]]:
    """The global slots of each classifier as Python ints: the rows of
    ``slot_table`` (``LabelTree.slot_table``, padded with ``num_slots``)
    without the padding."""
    return [[int(s) for s in row if s < num_slots] for row in slot_table]


def slot_leaf_list(path_matrix) -> List[int]:
    """For every global slot, the index of the only leaf under it, or -1
    when more than one leaf is (an inner node's slot), as Python ints.

    Args:
        path_matrix: ``[L, S]`` 0/1 (``LabelTree.path_matrix``), array,
            tensor or nested lists.
    """
    rows = path_matrix.tolist() if hasattr(path_matrix, 'tolist') else \
        path_matrix
    columns = list(zip(*rows))
    out = []
    for column in columns:
        leaves = [i for i, v in enumerate(column) if v]
        out.append(leaves[0] if len(leaves) == 1 else -1)
    return out


def greedy_decision(leaf_logp,
                    path_matrix,
                    slot_table,
                    slot_nodes,
                    node_own_classifier,
                    max_depth: int,
                    classifier_slots: Optional[List[List[int]]] = None,
                    slot_leaves: Optional[List[int]] = None) -> Tuple:
    """The paper's top-down rule, vectorised over pixels (torch tensors).

    The conditional probability of child ``c`` at classifier ``j`` equals
    ``P(c) / P(j)`` where ``P(n)`` is the sum of the probabilities of the
    leaves under ``n``; siblings share the denominator, so each classifier's
    argmax is the argmax of the children's marginals. This lets the rule run
    on leaf log-probabilities (after resize, slide or TTA), walking at most
    ``max_depth`` levels with gathers.

    Args:
        leaf_logp (Tensor): ``[B, L, H, W]`` leaf log-probabilities.
        path_matrix (Tensor): ``[L, S]`` float (``LabelTree.path_matrix``).
        slot_table (Tensor): ``[J, K]`` long, global slots of each
            classifier padded with ``S`` (``LabelTree.slot_table``).
        slot_nodes (Tensor): ``[S]`` long, child node of each global slot
            (``LabelTree.slot_nodes``).
        node_own_classifier (Tensor): ``[N]`` long, classifier a node owns,
            -1 for a leaf (``LabelTree.node_own_classifier``).
        max_depth (int): Number of classifier levels (``LabelTree.depth``).
        classifier_slots (list[list[int]], optional): The rows of
            ``slot_table`` without padding, as Python ints
            (:func:`classifier_slot_lists`). None reads them from the
            tensors, which copies them to the host: a synchronisation on a
            GPU, not allowed while a CUDA graph is captured.
        slot_leaves (list[int], optional): :func:`slot_leaf_list` of
            ``path_matrix``; None computes it (a host copy, as above).

    Returns:
        tuple[Tensor, Tensor]: node decided at each level ``[B, D, H, W]``
        (-1 below the leaf) and the decided leaf's node id ``[B, H, W]``.
    """
    import torch
    import torch.nn.functional as F

    # Marginals of every slot's child, scaled by the per-pixel max leaf
    # probability (>= 1 in total, so the decided path never underflows).
    probs = (leaf_logp - leaf_logp.amax(dim=1, keepdim=True)).exp()
    b, _, h, w = leaf_logp.shape
    # Python ints: the tables are the tree's, fixed, so an exported graph
    # may hold them as constants (the tracer's warning says otherwise)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        if classifier_slots is None:
            classifier_slots = classifier_slot_lists(
                slot_table.tolist(), len(slot_nodes.tolist()))
        if slot_leaves is None:
            slot_leaves = slot_leaf_list(path_matrix)
    # A slot with one leaf under it (most slots: every leaf's own) has that
    # leaf's probability as its marginal, read as a channel; only the inner
    # nodes' slots sum leaves, with one 1x1 convolution. Against the dense
    # leaves x slots product (an einsum) this rule took 475 instead of
    # 688 ms for 108 leaves at 520x706 on one CPU thread; the result is the
    # same, exactly for the single-leaf slots.
    inner = [s for s, leaf in enumerate(slot_leaves) if leaf < 0]
    inner_marg = None
    if inner:
        weight = torch.stack([path_matrix[:, s] for s in inner])
        inner_marg = F.conv2d(probs, weight.to(probs.dtype)[..., None, None])
    inner_channel = {s: k for k, s in enumerate(inner)}

    def marginal(s: int):
        if slot_leaves[s] >= 0:
            return probs[:, slot_leaves[s]]
        return inner_marg[:, inner_channel[s]]
    # Each classifier's choice at every pixel, all classifiers first, as a
    # running maximum over its slots (strictly greater: the first maximum
    # wins, as argmax); the walk below then reads one channel per level.
    # At full resolution this is ~10x faster on the CPU than gathering each
    # pixel's candidate slots at every level, or an argmax over a channel
    # dimension, which PyTorch does not vectorise.
    best_child = []
    for slots in classifier_slots:
        best_val, child = marginal(slots[0]), slot_nodes[slots[0]].expand(
            b, h, w)
        for s in slots[1:]:
            value = marginal(s)
            better = value > best_val
            best_val = torch.where(better, value, best_val)
            child = torch.where(better, slot_nodes[s], child)
        best_child.append(child)
    best_child = torch.stack(best_child, dim=1)  # [B, J, H, W] node ids
    cls = leaf_logp.new_zeros((b, 1, h, w), dtype=torch.long)  # root
    node = cls.new_zeros((b, h, w))
    active = torch.ones_like(node, dtype=torch.bool)
    levels = []
    for _ in range(int(max_depth)):
        child = best_child.gather(1, cls).squeeze(1)
        node = torch.where(active, child, node)
        levels.append(torch.where(active, child, torch.full_like(child, -1)))
        nxt = node_own_classifier[child]
        active = active & (nxt >= 0)
        cls = torch.where(active, nxt, cls.squeeze(1)).unsqueeze(1)
    return torch.stack(levels, dim=1), node


#: Log-probability written for the leaves the decision rule did not choose.
DECIDED_LOG_FLOOR = -1e4


def decided_log_map(labels: 'Tensor', num_classes: int,
                    like: 'Tensor') -> 'Tensor':
    """The log of the one-hot map of decided classes: 0 at the decided class,
    :data:`DECIDED_LOG_FLOOR` elsewhere.

    Args:
        labels (Tensor): ``[B, H, W]`` long, decided class per pixel.
        num_classes (int): Number of classes ``C``.
        like (Tensor): Gives the dtype and device of the result.

    Returns:
        Tensor: ``[B, C, H, W]``.
    """
    import torch
    import torch.nn.functional as F

    onehot = F.one_hot(labels, num_classes).permute(0, 3, 1, 2)
    return torch.where(onehot.bool(), like.new_zeros(()),
                       like.new_full((), DECIDED_LOG_FLOOR))
