# Copyright (c) mmhier contributors. All rights reserved.
r"""Soft hierarchical loss for Mutual
Mean-Teaching of a hierarchical segmentor (MMT, Ge et al., ICLR 2020, on the
tree of Meletis & Dubbelman, IV 2018).

**Soft hierarchical loss.** The hard hierarchical loss trains classifier
:math:`j` (internal node :math:`n_j`) on the pixels labelled inside its
subtree, with the child on the label's path as target. Its soft form takes
the expectation of that loss under the teacher's (a mean net's) leaf
distribution. The leaf :math:`y_p` drawn from the teacher lies under
:math:`n_j` with the teacher's probability of *reaching* :math:`n_j`,

.. math::
    r_j(p) = \prod_{(i, s) \in \mathrm{path}(n_j)} q_{i, s}(p),
    \qquad r_{root} = 1,

and, given that, passes through child :math:`k` with the teacher's softmax
:math:`q_{j,k}(p)` (the path probability factorises over the classifiers).
Hence

.. math::
    \mathbb{E}_{y \sim q}\big[\mathbb{1}[y \in n_j]\,
        (-\log \sigma^j_{p, y^j})\big]
        = r_j(p) \sum_k q_{j,k}(p)\,(-\log \sigma^j_{p,k}),

    L_j = \frac{\sum_p w_p\, r_j(p) \sum_k q_{j,k}(p)\,
                (-\log \sigma^j_{p,k})}{\max(\sum_p w_p\, r_j(p),\ 1)},
    \qquad L = \sum_j \lambda_j L_j,

where :math:`\sigma^j` is the student's softmax at classifier :math:`j`,
:math:`w_p` an optional pixel weight (e.g. 0 outside the student's view) and
:math:`\lambda_j` the level weight of the hard loss. The denominator is the
soft pixel count of classifier :math:`j`, the analogue of :math:`|P_j|` in
the hard loss (at least 1, so a classifier that the teacher never reaches
gives an exact, graph-connected 0 instead of dividing by ~0).

Why weight by :math:`r_j` (``routing='soft'``, default) rather than restrict
classifier :math:`j` to the pixels the teacher's top-down decision routes
into it (``routing='hard'``, :math:`r_j \in \{0, 1\}` from the teacher's
argmax at every ancestor): the soft weight is the exact expectation above,
it is continuous in the teacher (no pixel flips in and out of a classifier's
loss as the mean net drifts by ε, which matters because the mean nets move
every iteration), and it still trains a child classifier where the teacher
hesitates between two branches, in proportion to its belief. The hard
variant is offered because it matches the paper's inference rule and the
weak-label gating of the hard loss.
"""
from typing import Dict, List, Optional, Sequence, Union

import torch.nn.functional as F
from torch import Tensor

from mmhier.registry import MODELS
from .tree_loss import TreeBoundLoss

ROUTINGS = ('soft', 'hard')


def classifier_reach_probs(teacher_probs: Sequence[Tensor],
                           parent_classifier: Sequence[int],
                           parent_slot: Sequence[int],
                           routing: str = 'soft') -> List[Tensor]:
    """The teacher's probability of reaching each classifier's node.

    Args:
        teacher_probs (Sequence[Tensor]): Softmax of every classifier,
            ``[B, K_j, H, W]``, in BFS order (a parent before its children).
        parent_classifier (Sequence[int]): Parent classifier of each
            classifier (-1 for the root).
        parent_slot (Sequence[int]): Slot of each classifier's node in its
            parent (-1 for the root).
        routing (str): ``'soft'``: product of the path probabilities;
            ``'hard'``: 1 where the teacher's argmax selects the branch at
            every ancestor, else 0.

    Returns:
        list[Tensor]: ``[B, H, W]`` per classifier (root: ones).
    """
    if routing not in ROUTINGS:
        raise ValueError(f'routing must be one of {ROUTINGS}, got '
                         f'{routing!r}')
    reach: List[Tensor] = []
    for j, (p, s) in enumerate(zip(parent_classifier, parent_slot)):
        if p < 0:
            reach.append(teacher_probs[j].new_ones(
                teacher_probs[j].shape[:1] + teacher_probs[j].shape[2:]))
            continue
        if p >= j:
            raise ValueError(f'classifier {j} has parent classifier {p}; '
                             'classifiers must be in BFS order')
        if routing == 'soft':
            branch = teacher_probs[p][:, s]
        else:
            branch = (teacher_probs[p].argmax(dim=1) == s).to(
                teacher_probs[p].dtype)
        reach.append(reach[p] * branch)
    return reach


def soft_hierarchical_loss(cls_logits: Sequence[Tensor],
                           teacher_probs: Sequence[Tensor],
                           parent_classifier: Sequence[int],
                           parent_slot: Sequence[int],
                           classifier_weights: Sequence[float],
                           pixel_weight: Optional[Tensor] = None,
                           routing: str = 'soft') -> List[Tensor]:
    """Functional core of :class:`SoftHierarchicalLoss` (module docstring).

    Args:
        cls_logits (Sequence[Tensor]): Student logits ``[B, K_j, H, W]`` per
            classifier (BFS order).
        teacher_probs (Sequence[Tensor]): Teacher softmax of the same shapes
            (aligned to the student's view; detached here).
        parent_classifier (Sequence[int]): See
            :func:`classifier_reach_probs`.
        parent_slot (Sequence[int]): See :func:`classifier_reach_probs`.
        classifier_weights (Sequence[float]): :math:`\\lambda_j`.
        pixel_weight (Tensor, optional): ``[B, H, W]`` weight :math:`w_p`.
        routing (str): ``'soft'`` or ``'hard'``. Defaults to ``'soft'``.

    Returns:
        list[Tensor]: The weighted loss of each classifier (scalars).
    """
    if len(cls_logits) != len(teacher_probs) or \
            len(cls_logits) != len(parent_classifier):
        raise ValueError(
            f'got {len(cls_logits)} student and {len(teacher_probs)} teacher '
            f'maps for {len(parent_classifier)} classifiers')
    teacher_probs = [t.detach() for t in teacher_probs]
    for j, (z, q) in enumerate(zip(cls_logits, teacher_probs)):
        if z.shape != q.shape:
            raise ValueError(f'classifier {j}: student logits '
                             f'{tuple(z.shape)} and teacher probabilities '
                             f'{tuple(q.shape)} differ')
    reach = classifier_reach_probs(teacher_probs, parent_classifier,
                                   parent_slot, routing)
    losses = []
    for j, (z, q) in enumerate(zip(cls_logits, teacher_probs)):
        weight = reach[j] if pixel_weight is None else \
            reach[j] * pixel_weight.to(reach[j])
        ce = -(q * F.log_softmax(z, dim=1)).sum(dim=1)  # [B, H, W]
        denom = weight.sum().clamp(min=1.0)
        losses.append((ce * weight).sum() * (classifier_weights[j] / denom))
    return losses


@MODELS.register_module()
class SoftHierarchicalLoss(TreeBoundLoss):
    """Registered module around :func:`soft_hierarchical_loss`.

    The tree and the weights :math:`\\lambda_j` are read by
    :class:`TreeBoundLoss` (the MMT segmentor binds its segmentor's tree).

    Args:
        taxonomy (str | dict | LabelTree, optional): Tree, or None to bind
            later.
        node_weights (dict[str, float], optional): See
            :class:`TreeBoundLoss`.
        routing (str): ``'soft'`` (default) or ``'hard'``, see the module
            docstring.
        loss_weight (float): Global factor. Defaults to 1.0.
        loss_name (str): Prefix of the keys ``<loss_name>.<classifier>``.
            Defaults to ``'loss_soft_hier'``.
    """

    def __init__(self,
                 taxonomy=None,
                 node_weights: Optional[Dict[str, float]] = None,
                 routing: str = 'soft',
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_soft_hier') -> None:
        super().__init__(node_weights, loss_weight, loss_name)
        if routing not in ROUTINGS:
            raise ValueError(f'routing must be one of {ROUTINGS}, got '
                             f'{routing!r}')
        self.routing = routing
        self._bind_given(taxonomy)

    def forward(self,
                cls_logits: Union[Tensor, Sequence[Tensor]],
                teacher_probs: Union[Tensor, Sequence[Tensor]],
                pixel_weight: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Args:
            cls_logits: Student logits, ``[B, S, H, W]`` or one
                ``[B, K_j, H, W]`` per classifier.
            teacher_probs: Teacher per-classifier softmax, same layout.
            pixel_weight (Tensor, optional): ``[B, H, W]``.

        Returns:
            dict[str, Tensor]: ``{'<loss_name>.<classifier>': loss}``.
        """
        self._check_bound()
        sizes = self.classifier_sizes
        if isinstance(cls_logits, Tensor):
            cls_logits = cls_logits.split(sizes, dim=1)
        if isinstance(teacher_probs, Tensor):
            teacher_probs = teacher_probs.split(sizes, dim=1)
        losses = soft_hierarchical_loss(
            cls_logits,
            teacher_probs,
            self.parent_classifier,
            self.parent_slot,
            self.classifier_weights,
            pixel_weight=pixel_weight,
            routing=self.routing)
        return {k: self.loss_weight * v for k, v in zip(self.keys, losses)}
