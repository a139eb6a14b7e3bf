# Copyright (c) mmhier contributors. All rights reserved.
"""Softmax-triplet losses of MMT (Ge et al., ICLR 2020, Eqs. 6-8): the hard
version on batch-hard triplets and the soft version whose target is the
peer mean network's softmax over the same triplets' distances.

The paper's baseline triplet loss (Eq. 2, margin 0.5) is *not* what the
authors train with: their code uses ``SoftTripletLoss(margin=0.0)`` for the
hard term both in source pre-training and in MMT, i.e. the softmax-triplet
of Eq. 6 below; we follow the code.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.losses.utils import weight_reduce_loss

from mmhier.registry import MODELS


def pairwise_euclidean_distance(x: torch.Tensor,
                                y: torch.Tensor) -> torch.Tensor:
    """Euclidean distances ``||x_i - y_j||`` of shape (M, N).

    Squared distances are clamped at 1e-12 before the square root, as in the
    authors' ``euclidean_dist``, so the gradient stays finite at zero.
    """
    sq = (x.pow(2).sum(1, keepdim=True) + y.pow(2).sum(1).unsqueeze(0) -
          2.0 * x @ y.t())
    return sq.clamp(min=1e-12).sqrt()


def batch_hard_mining(
    dist: torch.Tensor, label: torch.Tensor
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor,
           torch.Tensor]:
    """Batch-hard mining (Hermans et al., 2017) on a square distance matrix.

    For every anchor ``i`` the hardest positive is the farthest sample of the
    same label (the anchor itself included, as in the authors' code, so a
    label seen once gives ``d_ap ~ 0``) and the hardest negative is the
    closest sample of another label.

    Args:
        dist (Tensor): Distances of shape (N, N).
        label (Tensor): Labels of shape (N, ).

    Returns:
        tuple: ``(d_ap, d_an, ap_idx, an_idx, has_neg)``, each of shape (N, );
        ``has_neg`` is False for anchors without any negative in the batch
        (their ``d_an``/``an_idx`` are meaningless and must be masked out).
    """
    same = label.unsqueeze(0) == label.unsqueeze(1)
    d_ap, ap_idx = dist.masked_fill(~same, float('-inf')).max(dim=1)
    d_an, an_idx = dist.masked_fill(same, float('inf')).min(dim=1)
    has_neg = (~same).any(dim=1)
    return d_ap, d_an, ap_idx, an_idx, has_neg


def _prepare(feat: torch.Tensor, label: torch.Tensor, normalize: bool,
             ignore_index: int, name: str) -> Tuple[torch.Tensor, ...]:
    if feat.dim() != 2 or label.shape != feat.shape[:1]:
        raise ValueError(f'{name} expects features (N, D) and labels (N, ), '
                         f'got {tuple(feat.shape)} and {tuple(label.shape)}')
    valid = label != ignore_index
    if normalize:
        feat = F.normalize(feat, dim=1)
    return feat, valid


def _reduce(loss: torch.Tensor, keep: torch.Tensor, feat: torch.Tensor,
            weight: Optional[torch.Tensor], reduction: str) -> torch.Tensor:
    """Reduce over the anchors in ``keep``; an empty set gives a zero that is
    still connected to ``feat`` (DDP must see a gradient for every
    parameter)."""
    if weight is not None:
        weight = weight.float()[keep]
    loss = loss[keep]
    if loss.numel() == 0:
        return feat.sum() * 0.0
    return weight_reduce_loss(loss, weight=weight, reduction=reduction)


def softmax_triplet_loss(feat: torch.Tensor,
                         label: torch.Tensor,
                         normalize: bool = False,
                         weight: Optional[torch.Tensor] = None,
                         reduction: str = 'mean',
                         ignore_index: int = -1) -> torch.Tensor:
    r"""Hard softmax-triplet loss on batch-hard triplets (MMT Eq. 6).

    .. math::
        \mathcal{T}_i = \frac{e^{\|f_i - f_{i,n}\|}}
                             {e^{\|f_i - f_{i,p}\|} + e^{\|f_i - f_{i,n}\|}},
        \qquad
        \mathcal{L}_{tri} = \frac{1}{N}\sum_i \mathcal{L}_{bce}(\mathcal{T}_i,
        1) = -\frac{1}{N}\sum_i \log \mathcal{T}_i

    i.e. cross-entropy of ``log_softmax([d_ap, d_an])`` with target index 1.

    Args:
        feat (Tensor): Features of shape (N, D) (MMT: pre-BN pooled).
        label (Tensor): (Pseudo) identity labels of shape (N, ).
        normalize (bool): L2-normalise features first. Defaults to False
            (the authors' setting).
        weight (Tensor, optional): Per-anchor weight of shape (N, ).
        reduction (str): 'none' (over the kept anchors), 'mean' or 'sum'.
        ignore_index (int): Samples with this label take no part, neither as
            anchors nor as positives/negatives. Defaults to -1.

    Returns:
        Tensor: The loss. Anchors without a negative in the batch are
        skipped.
    """
    feat, valid = _prepare(feat, label, normalize, ignore_index,
                           'softmax_triplet_loss')
    feat_v, label_v = feat[valid], label[valid]
    dist = pairwise_euclidean_distance(feat_v, feat_v)
    d_ap, d_an, _, _, has_neg = batch_hard_mining(dist, label_v)
    log_prob = F.log_softmax(torch.stack((d_ap, d_an), dim=1), dim=1)
    loss = -log_prob[:, 1]
    w = weight[valid] if weight is not None else None
    return _reduce(loss, has_neg, feat, w, reduction)


def soft_softmax_triplet_loss(feat: torch.Tensor,
                              teacher_feat: torch.Tensor,
                              label: torch.Tensor,
                              normalize: bool = False,
                              weight: Optional[torch.Tensor] = None,
                              reduction: str = 'mean',
                              ignore_index: int = -1) -> torch.Tensor:
    r"""Soft softmax-triplet loss (MMT Eq. 8).

    The triplets are mined on the *student's* distances; the teacher's
    distances are read at the same indices, and the target is the teacher's
    softmax over them (no gradient to the teacher):

    .. math::
        p_i = \mathrm{softmax}(d^S_{i,p}, d^S_{i,n}), \quad
        q_i = \mathrm{softmax}(d^T_{i,p}, d^T_{i,n}), \quad
        \mathcal{L}_{stri} = -\frac{1}{N}\sum_i \sum_{k\in\{p,n\}}
                             q_{i,k} \log p_{i,k}

    which equals :math:`\frac{1}{N}\sum_i \mathcal{L}_{bce}(\mathcal{T}_i(
    \theta_1), \mathcal{T}_i(E[\theta_2]))` of the paper.

    Args:
        feat (Tensor): Student features of shape (N, D).
        teacher_feat (Tensor): Teacher (peer mean net) features (N, D').
        label (Tensor): (Pseudo) identity labels of shape (N, ).
        normalize (bool): L2-normalise both feature sets first.
            Defaults to False (the authors' setting).
        weight (Tensor, optional): Per-anchor weight of shape (N, ).
        reduction (str): 'none', 'mean' or 'sum'. Defaults to 'mean'.
        ignore_index (int): Label value to leave out. Defaults to -1.

    Returns:
        Tensor: The loss.
    """
    feat, valid = _prepare(feat, label, normalize, ignore_index,
                           'soft_softmax_triplet_loss')
    if teacher_feat.dim() != 2 or teacher_feat.shape[0] != feat.shape[0]:
        raise ValueError('soft_softmax_triplet_loss expects teacher features '
                         f'(N={feat.shape[0]}, D), got '
                         f'{tuple(teacher_feat.shape)}')
    teacher_feat = teacher_feat.detach()
    if normalize:
        teacher_feat = F.normalize(teacher_feat, dim=1)
    feat_v, label_v = feat[valid], label[valid]
    teacher_v = teacher_feat[valid]
    dist = pairwise_euclidean_distance(feat_v, feat_v)
    d_ap, d_an, ap_idx, an_idx, has_neg = batch_hard_mining(dist, label_v)
    log_prob = F.log_softmax(torch.stack((d_ap, d_an), dim=1), dim=1)

    dist_t = pairwise_euclidean_distance(teacher_v, teacher_v)
    rows = torch.arange(dist_t.shape[0], device=dist_t.device)
    target = F.softmax(
        torch.stack((dist_t[rows, ap_idx], dist_t[rows, an_idx]), dim=1),
        dim=1)
    loss = -(target * log_prob).sum(dim=1)
    w = weight[valid] if weight is not None else None
    return _reduce(loss, has_neg, feat, w, reduction)


@MODELS.register_module()
class SoftmaxTripletLoss(nn.Module):
    r"""Hard softmax-triplet loss with batch-hard mining (MMT's
    :math:`L_{tri}`): :math:`-\log \frac{e^{d_{an}}}{e^{d_{ap}} + e^{d_{an}}}`.

    Args:
        normalize_feature (bool): L2-normalise features before the distances.
            Defaults to False (the authors' setting).
        ignore_index (int): Label to ignore. Defaults to -1.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str): Key in the loss dict. Defaults to 'loss_tri'.
    """

    def __init__(self,
                 normalize_feature: bool = False,
                 ignore_index: int = -1,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_tri') -> None:
        super().__init__()
        self.normalize_feature = normalize_feature
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self,
                feat: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                reduction_override: Optional[str] = None) -> torch.Tensor:
        """Compute the loss; see :func:`softmax_triplet_loss`."""
        return self.loss_weight * softmax_triplet_loss(
            feat,
            label,
            normalize=self.normalize_feature,
            weight=weight,
            reduction=reduction_override or 'mean',
            ignore_index=self.ignore_index)

    @property
    def loss_name(self) -> str:
        """Key of this loss in the loss dict (must start with 'loss_')."""
        return self._loss_name


@MODELS.register_module()
class SoftSoftmaxTripletLoss(nn.Module):
    r"""Soft softmax-triplet loss (MMT's :math:`L_{stri}`): binary
    cross-entropy between the student's softmax over :math:`(d_{ap}, d_{an})`
    and the teacher's softmax over its own distances at the student's mined
    indices.

    Args:
        normalize_feature (bool): L2-normalise features before the distances.
            Defaults to False (the authors' setting).
        ignore_index (int): Label to ignore. Defaults to -1.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str): Key in the loss dict. Defaults to 'loss_tri_soft'.
    """

    def __init__(self,
                 normalize_feature: bool = False,
                 ignore_index: int = -1,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_tri_soft') -> None:
        super().__init__()
        self.normalize_feature = normalize_feature
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self,
                feat: torch.Tensor,
                teacher_feat: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                reduction_override: Optional[str] = None) -> torch.Tensor:
        """Compute the loss; see :func:`soft_softmax_triplet_loss`."""
        return self.loss_weight * soft_softmax_triplet_loss(
            feat,
            teacher_feat,
            label,
            normalize=self.normalize_feature,
            weight=weight,
            reduction=reduction_override or 'mean',
            ignore_index=self.ignore_index)

    @property
    def loss_name(self) -> str:
        """Key of this loss in the loss dict (must start with 'loss_')."""
        return self._loss_name
