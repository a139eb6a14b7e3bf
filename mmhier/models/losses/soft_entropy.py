# Copyright (c) mmhier contributors. All rights reserved.
"""Soft cross-entropy against a teacher's softmax, MMT's soft identity loss
(Ge et al., ICLR 2020, Eq. 5)."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmseg.models.losses.utils import weight_reduce_loss

from mmhier.registry import MODELS
from .reid_loss import BaseReIDLoss


def soft_cross_entropy(cls_score: torch.Tensor,
                       teacher_score: torch.Tensor,
                       weight: Optional[torch.Tensor] = None,
                       reduction: str = 'mean') -> torch.Tensor:
    r"""Cross-entropy of the student's prediction against the softmax of the
    (detached) teacher logits.

    .. math::
        \mathcal{L}_{sid} = -\frac{1}{N}\sum_{i=1}^{N}\sum_{c}
        \mathrm{softmax}(z^{T}_i)_c\,\log \mathrm{softmax}(z^{S}_i)_c

    No gradient flows into ``teacher_score``.

    Args:
        cls_score (Tensor): Student logits of shape (N, C).
        teacher_score (Tensor): Teacher logits of shape (N, C).
        weight (Tensor, optional): Per-sample weight of shape (N, ).
        reduction (str): 'none', 'mean' or 'sum'. Defaults to 'mean'.

    Returns:
        Tensor: The loss.
    """
    if cls_score.dim() != 2 or cls_score.shape != teacher_score.shape:
        raise ValueError('soft_cross_entropy expects student and teacher '
                         'logits of the same shape (N, C), got '
                         f'{tuple(cls_score.shape)} and '
                         f'{tuple(teacher_score.shape)}')
    target = F.softmax(teacher_score.detach(), dim=1)
    loss = -(target * F.log_softmax(cls_score, dim=1)).sum(dim=1)
    if weight is not None:
        weight = weight.float()
    return weight_reduce_loss(loss, weight=weight, reduction=reduction)


@MODELS.register_module()
class SoftEntropyLoss(BaseReIDLoss):
    r"""Soft identity loss of MMT: the student is trained towards the class
    distribution predicted by the *peer's mean network*.

    .. math::
        \mathcal{L}_{sid}(\theta_1 | \theta_2) = -\frac{1}{N}\sum_i
        C_2^t(F(x_i | E[\theta_2])) \cdot \log C_1^t(F(x_i | \theta_1))

    ``forward(cls_score, teacher_score, weight=None,
    reduction_override=None)``, see :func:`soft_cross_entropy`.

    Args:
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str, optional): Key of the loss in the loss dict.
            Defaults to 'loss_ce_soft'.
    """

    loss_fn = staticmethod(soft_cross_entropy)
    default_loss_name = 'loss_ce_soft'
