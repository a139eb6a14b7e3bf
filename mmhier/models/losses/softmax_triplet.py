# Copyright (c) mmhier contributors. All rights reserved.
"""Softmax-triplet losses of MMT (Ge et al., ICLR 2020, Eqs. 6-8): the hard
version on batch-hard triplets and the soft version whose target is the
peer mean network's softmax over the same triplets' distances.

The paper's baseline triplet loss (Eq. 2, margin 0.5) is *not* what the
authors train with: their code uses ``SoftTripletLoss(margin=0.0)`` for the
hard term both in source pre-training and in MMT, i.e. the softmax-triplet
of Eq. 6 below; we follow the code.

The authors train with ``nn.DataParallel``, which gathers all GPUs' outputs
before the loss, so batch-hard mining sees the whole batch (64 images).
Under DDP each rank would only mine within its own share; with
``across_ranks=True`` (the default) the losses gather every rank's features
and mine in the global batch, and two processes compute what one process
with the same total batch computes (``tests/test_tools/
test_ddp_equivalence.py``).
"""
from typing import Optional, Tuple

import torch
import torch.distributed as torch_dist
import torch.nn.functional as F
from mmseg.models.losses.utils import weight_reduce_loss

from mmhier.registry import MODELS
from .reid_loss import BaseReIDLoss


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
    dist: torch.Tensor,
    label: torch.Tensor,
    col_label: Optional[torch.Tensor] = None
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor,
           torch.Tensor]:
    """Batch-hard mining (Hermans et al., 2017) on a distance matrix.

    For every anchor ``i`` the hardest positive is the farthest sample of the
    same label (the anchor itself included, as in the authors' code, so a
    label seen once gives ``d_ap ~ 0``) and the hardest negative is the
    closest sample of another label.

    Args:
        dist (Tensor): Distances of shape (M, N) from M anchors to N
            candidates (square when the anchors are the candidates).
        label (Tensor): Anchor labels of shape (M, ).
        col_label (Tensor, optional): Candidate labels of shape (N, ).
            Defaults to ``label`` (square case).

    Returns:
        tuple: ``(d_ap, d_an, ap_idx, an_idx, has_neg)``, each of shape (M, );
        indices are columns of ``dist``; ``has_neg`` is False for anchors
        without any negative in the batch (their ``d_an``/``an_idx`` are
        meaningless and must be masked out).
    """
    col_label = label if col_label is None else col_label
    if dist.shape[1] == 0:  # no candidate at all (every sample ignored)
        zero = dist.new_zeros(dist.shape[0])
        idx = torch.zeros_like(label)
        return zero, zero, idx, idx, torch.zeros_like(label, dtype=torch.bool)
    same = label.unsqueeze(1) == col_label.unsqueeze(0)
    d_ap, ap_idx = dist.masked_fill(~same, float('-inf')).max(dim=1)
    d_an, an_idx = dist.masked_fill(same, float('inf')).min(dim=1)
    has_neg = (~same).any(dim=1)
    return d_ap, d_an, ap_idx, an_idx, has_neg


def _world() -> Tuple[int, int]:
    if torch_dist.is_available() and torch_dist.is_initialized():
        return torch_dist.get_world_size(), torch_dist.get_rank()
    return 1, 0


class _MiningBatch:
    """The samples a rank mines its triplets in.

    One process (or ``across_ranks=False``): its own batch. Under
    data-parallel training with ``across_ranks=True``: the batches of all
    ranks, concatenated in rank order, so that mining sees the global batch
    exactly as one process with the same total batch would. This is what
    MMT's authors train with (``nn.DataParallel`` gathers the outputs of
    all GPUs before the loss); mmengine/torch have no helper for it. The
    features are gathered with ``torch.distributed.nn.functional.
    all_gather``, whose backward sums every rank's gradient for a rank's
    slice, so a sample also receives the gradient of the loss terms in
    which it is another rank's positive or negative. Each rank keeps only
    its own anchors, and :meth:`reduce` divides by the global number of
    anchors over the world size: DDP's gradient average then yields the
    gradient of the one-process mean (exact, also with unequal anchor counts
    per rank). Local batches of different sizes are padded with ignored
    samples.

    Attributes:
        feat (Tensor): Features of all samples (N_all, D).
        label (Tensor): Their labels (N_all, ).
        teacher (Tensor | None): Teacher features (N_all, D'), no gradient.
        rows (Tensor): Positions of this rank's samples in ``feat``.
        world_size (int): Number of ranks gathered (1: local).
    """

    def __init__(self, feat: torch.Tensor, label: torch.Tensor,
                 teacher: Optional[torch.Tensor], ignore_index: int,
                 across_ranks: bool) -> None:
        world_size, rank = _world() if across_ranks else (1, 0)
        self.world_size = world_size
        n = feat.shape[0]
        if world_size == 1:
            self.feat, self.label, self.teacher = feat, label, teacher
            self.rows = torch.arange(n, device=feat.device)
            return
        from torch.distributed.nn.functional import all_gather

        sizes = [torch.zeros(1, dtype=torch.long, device=feat.device)
                 for _ in range(world_size)]
        local_size = torch.tensor([n], dtype=torch.long, device=feat.device)
        torch_dist.all_gather(sizes, local_size)
        n_max = int(max(int(s) for s in sizes))
        pad = n_max - n
        feat = F.pad(feat, (0, 0, 0, pad))
        label = F.pad(label, (0, pad), value=ignore_index)
        self.feat = torch.cat(all_gather(feat.contiguous()), dim=0)
        labels = [torch.empty_like(label) for _ in range(world_size)]
        torch_dist.all_gather(labels, label.contiguous())
        self.label = torch.cat(labels, dim=0)
        self.teacher = None
        if teacher is not None:
            teacher = F.pad(teacher.detach(), (0, 0, 0, pad)).contiguous()
            teachers = [torch.empty_like(teacher) for _ in range(world_size)]
            torch_dist.all_gather(teachers, teacher)
            self.teacher = torch.cat(teachers, dim=0)
        self.rows = rank * n_max + torch.arange(n, device=feat.device)

    def reduce(self, loss: torch.Tensor, keep: torch.Tensor,
               weight: Optional[torch.Tensor], reduction: str) -> torch.Tensor:
        """Reduce the per-anchor ``loss`` over the anchors in ``keep``.

        ``'mean'`` is the mean over the kept anchors of *all* ranks (see the
        class docstring); ``'sum'`` and ``'none'`` are local. The result is
        always connected to the gathered features, so that every rank runs
        the gather's backward (a collective), even one without an anchor.
        """
        if weight is not None:
            weight = weight.float()[keep]
        loss = loss[keep]
        anchor = self.feat.sum() * 0.0
        if self.world_size == 1 or reduction != 'mean':
            if loss.numel() == 0:
                return anchor
            return weight_reduce_loss(
                loss, weight=weight, reduction=reduction) + anchor
        count = torch.tensor([float(loss.numel())], device=loss.device)
        torch_dist.all_reduce(count)
        if weight is not None:
            loss = loss * weight
        # no anchor anywhere: the sum is an exact 0 (no host sync to test it)
        return loss.sum() * (self.world_size / count.clamp(min=1)[0]) + anchor


def _prepare(feat: torch.Tensor, label: torch.Tensor, normalize: bool,
             name: str) -> torch.Tensor:
    if feat.dim() != 2 or label.shape != feat.shape[:1]:
        raise ValueError(f'{name} expects features (N, D) and labels (N, ), '
                         f'got {tuple(feat.shape)} and {tuple(label.shape)}')
    return F.normalize(feat, dim=1) if normalize else feat


def _mine(batch: _MiningBatch, ignore_index: int):
    """Mine the hardest positive/negative of this rank's valid anchors among
    all valid samples; returns the mining results, the anchor and candidate
    positions in ``batch.feat`` and the anchors' validity mask over the
    local rows."""
    valid = batch.label != ignore_index
    local_valid = valid[batch.rows]
    anchors = batch.rows[local_valid]
    cols = valid.nonzero(as_tuple=True)[0]
    d = pairwise_euclidean_distance(batch.feat[anchors], batch.feat[cols])
    mined = batch_hard_mining(d, batch.label[anchors], batch.label[cols])
    return mined, anchors, cols, local_valid


def softmax_triplet_loss(feat: torch.Tensor,
                         label: torch.Tensor,
                         normalize: bool = False,
                         weight: Optional[torch.Tensor] = None,
                         reduction: str = 'mean',
                         ignore_index: int = -1,
                         across_ranks: bool = True,
                         teacher_feat: Optional[torch.Tensor] = None
                         ) -> torch.Tensor:
    r"""Softmax-triplet loss on batch-hard triplets: hard (MMT Eq. 6) or,
    with ``teacher_feat``, soft (Eq. 8, see
    :func:`soft_softmax_triplet_loss`).

    .. math::
        \mathcal{T}_i = \frac{e^{\|f_i - f_{i,n}\|}}
                             {e^{\|f_i - f_{i,p}\|} + e^{\|f_i - f_{i,n}\|}},
        \qquad
        \mathcal{L}_{tri} = \frac{1}{N}\sum_i \mathcal{L}_{bce}(\mathcal{T}_i,
        1) = -\frac{1}{N}\sum_i \log \mathcal{T}_i

    i.e. cross-entropy of ``log_softmax([d_ap, d_an])`` with target index 1
    (the hard target; the soft one is the teacher's softmax).

    Args:
        feat (Tensor): Features of shape (N, D) (MMT: pre-BN pooled).
        label (Tensor): (Pseudo) identity labels of shape (N, ).
        normalize (bool): L2-normalise features (and teacher features)
            first. Defaults to False (the authors' setting).
        weight (Tensor, optional): Per-anchor weight of shape (N, ).
        reduction (str): 'none' (over the kept anchors), 'mean' or 'sum'.
        ignore_index (int): Samples with this label take no part, neither as
            anchors nor as positives/negatives. Defaults to -1.
        across_ranks (bool): Under data-parallel training, mine among the
            samples of all ranks (the global batch, as the authors'
            ``DataParallel``); see :class:`_MiningBatch`. Every rank must
            then call the loss the same number of times. Defaults to True;
            no effect in one process.
        teacher_feat (Tensor, optional): Teacher (peer mean net) features
            (N, D'); given, the target is the teacher's softmax over its
            distances at the student's mined indices. Defaults to None.

    Returns:
        Tensor: The loss. Anchors without a negative in the batch are
        skipped.
    """
    name = 'softmax_triplet_loss' if teacher_feat is None else \
        'soft_softmax_triplet_loss'
    feat = _prepare(feat, label, normalize, name)
    if teacher_feat is not None:
        if teacher_feat.dim() != 2 or teacher_feat.shape[0] != feat.shape[0]:
            raise ValueError(f'{name} expects teacher features '
                             f'(N={feat.shape[0]}, D), got '
                             f'{tuple(teacher_feat.shape)}')
        teacher_feat = teacher_feat.detach()
        if normalize:
            teacher_feat = F.normalize(teacher_feat, dim=1)
    batch = _MiningBatch(feat, label, teacher_feat, ignore_index,
                         across_ranks)
    (d_ap, d_an, ap_idx, an_idx, has_neg), anchors, cols, local_valid = \
        _mine(batch, ignore_index)
    log_prob = F.log_softmax(torch.stack((d_ap, d_an), dim=1), dim=1)
    if teacher_feat is None:
        loss = -log_prob[:, 1]
    else:
        dist_t = pairwise_euclidean_distance(batch.teacher[anchors],
                                             batch.teacher[cols])
        rows = torch.arange(dist_t.shape[0], device=dist_t.device)
        target = F.softmax(
            torch.stack((dist_t[rows, ap_idx], dist_t[rows, an_idx]), dim=1),
            dim=1)
        loss = -(target * log_prob).sum(dim=1)
    w = weight[local_valid] if weight is not None else None
    return batch.reduce(loss, has_neg, w, reduction)


def soft_softmax_triplet_loss(feat: torch.Tensor, teacher_feat: torch.Tensor,
                              label: torch.Tensor, **kwargs) -> torch.Tensor:
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
        **kwargs: ``normalize``, ``weight``, ``reduction``,
            ``ignore_index``, ``across_ranks`` of
            :func:`softmax_triplet_loss`.

    Returns:
        Tensor: The loss.
    """
    return softmax_triplet_loss(
        feat, label, teacher_feat=teacher_feat, **kwargs)


@MODELS.register_module()
class SoftmaxTripletLoss(BaseReIDLoss):
    r"""Hard softmax-triplet loss with batch-hard mining (MMT's
    :math:`L_{tri}`): :math:`-\log \frac{e^{d_{an}}}{e^{d_{ap}} + e^{d_{an}}}`.

    ``forward(feat, label, weight=None, reduction_override=None)``, see
    :func:`softmax_triplet_loss`.

    Args:
        normalize_feature (bool): L2-normalise features before the distances.
            Defaults to False (the authors' setting).
        ignore_index (int): Label to ignore. Defaults to -1.
        across_ranks (bool): Under data-parallel training mine among the
            samples of all ranks (the global batch), as the authors'
            ``DataParallel`` does. Defaults to True.
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str, optional): Key in the loss dict. Defaults to
            'loss_tri'.
    """

    loss_fn = staticmethod(softmax_triplet_loss)
    default_loss_name = 'loss_tri'

    def __init__(self,
                 normalize_feature: bool = False,
                 ignore_index: int = -1,
                 across_ranks: bool = True,
                 loss_weight: float = 1.0,
                 loss_name: Optional[str] = None) -> None:
        super().__init__(
            loss_weight,
            loss_name,
            normalize=normalize_feature,
            ignore_index=ignore_index,
            across_ranks=across_ranks)


@MODELS.register_module()
class SoftSoftmaxTripletLoss(SoftmaxTripletLoss):
    r"""Soft softmax-triplet loss (MMT's :math:`L_{stri}`): binary
    cross-entropy between the student's softmax over :math:`(d_{ap}, d_{an})`
    and the teacher's softmax over its own distances at the student's mined
    indices.

    ``forward(feat, teacher_feat, label, weight=None,
    reduction_override=None)``, see :func:`soft_softmax_triplet_loss`. The
    arguments are those of :class:`SoftmaxTripletLoss`; ``loss_name``
    defaults to 'loss_tri_soft'.
    """

    loss_fn = staticmethod(soft_softmax_triplet_loss)
    default_loss_name = 'loss_tri_soft'
