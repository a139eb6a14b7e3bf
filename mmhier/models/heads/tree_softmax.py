# Copyright (c) mmhier contributors. All rights reserved.
"""Leaf log-probabilities of a tree of softmax classifiers (Meletis &
Dubbelman, "Training of Convolutional Networks on Multiple Heterogeneous
Datasets for Street Scene Semantic Segmentation", IEEE IV 2018, Sec. III-B):

.. math::

    \\log p(l) = \\sum_{(j, s) \\in path(l)} \\log \\mathrm{softmax}(z_j)_s

with the paths of ``LabelTree.leaf_path_index``.
"""
from typing import Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor


def segment_log_softmax(cls_logits: Union[Tensor, Sequence[Tensor]],
                        sizes: Sequence[int]) -> Tensor:
    """``log_softmax`` applied separately to each classifier's logits.

    Args:
        cls_logits (Tensor | Sequence[Tensor]): ``[B, sum(sizes), ...]``
            concatenated logits, or one ``[B, K_j, ...]`` tensor per
            classifier.
        sizes (Sequence[int]): Number of classes of each classifier, in
            concatenation order.

    Returns:
        Tensor: ``[B, sum(sizes), ...]``, each slice normalised on its own.
    """
    if isinstance(cls_logits, Tensor):
        cls_logits = cls_logits.split(list(sizes), dim=1)
    return torch.cat([F.log_softmax(chunk, dim=1) for chunk in cls_logits],
                     dim=1)


def leaf_log_probs(slot_log_probs: Tensor, leaf_path_index: Tensor) -> Tensor:
    """Leaf log-probabilities from per-slot log-probabilities.

    Equivalent to ``einsum('ls,bs...->bl...', path_matrix, slot_log_probs)``
    but a gather of the (at most depth) slots on each path, which is exact and
    cheaper than a dense ``num_leaves x total_slots`` product.

    Args:
        slot_log_probs (Tensor): ``[B, S, ...]`` segment-wise log-softmax.
        leaf_path_index (Tensor): ``[L, D]`` long, the global slot indices on
            each leaf's path, padded with ``S`` (which reads a zero).

    Returns:
        Tensor: ``[B, L, ...]``.
    """
    padded = torch.cat([slot_log_probs,
                        slot_log_probs.new_zeros(
                            (slot_log_probs.shape[0], 1) +
                            slot_log_probs.shape[2:])], dim=1)
    num_leaves, depth = leaf_path_index.shape
    gathered = padded.index_select(1, leaf_path_index.reshape(-1))
    return gathered.unflatten(1, (num_leaves, depth)).sum(dim=2)
