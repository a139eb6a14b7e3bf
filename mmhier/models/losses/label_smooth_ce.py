# Copyright (c) mmhier contributors. All rights reserved.
"""Cross-entropy with label smoothing (Szegedy et al., CVPR 2016), the
identity loss of MMT (Ge et al., ICLR 2020, Eq. 1 with epsilon = 0.1)."""
from typing import Optional

import torch
import torch.nn.functional as F
from mmseg.models.losses.utils import weight_reduce_loss

from mmhier.registry import MODELS
from .reid_loss import BaseReIDLoss


def label_smooth_cross_entropy(cls_score: torch.Tensor,
                               label: torch.Tensor,
                               epsilon: float = 0.1,
                               weight: Optional[torch.Tensor] = None,
                               reduction: str = 'mean',
                               ignore_index: int = -1) -> torch.Tensor:
    r"""Cross-entropy against a label-smoothed one-hot target.

    .. math::
        q = (1 - \epsilon)\,\mathrm{onehot}(y) + \epsilon / C, \qquad
        \mathcal{L} = -\frac{1}{N}\sum_{i=1}^{N}\sum_{c=1}^{C}
                      q_{i,c}\,\log \mathrm{softmax}(z_i)_c

    This is exactly the target of the authors' ``CrossEntropyLabelSmooth``;
    ``F.cross_entropy(label_smoothing=epsilon)`` builds the same ``q``, so we
    reuse it instead of materialising the one-hot matrix.

    Args:
        cls_score (Tensor): Logits ``z`` of shape (N, C).
        label (Tensor): Class indices of shape (N, ); entries equal to
            ``ignore_index`` (e.g. clustering outliers) are left out.
        epsilon (float): Smoothing factor. Defaults to 0.1.
        weight (Tensor, optional): Per-sample weight of shape (N, ).
        reduction (str): 'none', 'mean' (over non-ignored samples) or 'sum'.
        ignore_index (int): Label value to ignore. Defaults to -1.

    Returns:
        Tensor: The loss; a zero connected to the graph when every label is
        ignored (so DDP does not wait for missing gradients).
    """
    if cls_score.dim() != 2 or label.shape != cls_score.shape[:1]:
        raise ValueError('label_smooth_cross_entropy expects logits (N, C) '
                         f'and labels (N, ), got {tuple(cls_score.shape)} '
                         f'and {tuple(label.shape)}')
    loss = F.cross_entropy(
        cls_score,
        label,
        reduction='none',
        label_smoothing=epsilon,
        ignore_index=ignore_index)
    if weight is not None:
        weight = weight.float()
    avg_factor = None
    if reduction == 'mean':
        avg_factor = (label != ignore_index).sum().clamp(min=1)
    return weight_reduce_loss(
        loss, weight=weight, reduction=reduction, avg_factor=avg_factor)


@MODELS.register_module()
class LabelSmoothCrossEntropyLoss(BaseReIDLoss):
    r"""Label-smoothed identity cross-entropy (MMT's :math:`L_{id}`).

    .. math::
        \mathcal{L}_{id} = -\frac{1}{N}\sum_i\sum_c
        \big[(1-\epsilon)\,\mathbb{1}[c = y_i] + \epsilon / C\big]
        \log \mathrm{softmax}(z_i)_c

    ``forward(cls_score, label, weight=None, reduction_override=None)``, see
    :func:`label_smooth_cross_entropy`.

    Args:
        epsilon (float): Smoothing factor. Defaults to 0.1 (the paper's).
        ignore_index (int): Label to ignore. Defaults to -1.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str, optional): Key of the loss in the loss dict.
            Defaults to 'loss_ce'.
    """

    loss_fn = staticmethod(label_smooth_cross_entropy)
    default_loss_name = 'loss_ce'

    def __init__(self,
                 epsilon: float = 0.1,
                 ignore_index: int = -1,
                 loss_weight: float = 1.0,
                 loss_name: Optional[str] = None) -> None:
        if not 0.0 <= epsilon < 1.0:
            raise ValueError(f'epsilon must be in [0, 1), got {epsilon}')
        super().__init__(
            loss_weight, loss_name, epsilon=epsilon, ignore_index=ignore_index)
