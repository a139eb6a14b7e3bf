# Copyright (c) mmhier contributors. All rights reserved.
r"""Confidence pseudo labels for the unlabelled target images of
segmentation Mutual Mean-Teaching (:class:`SegMutualMeanTeaching`).

:func:`confidence_pseudo_labels` takes the
mean nets' averaged leaf probabilities and keeps a pixel's argmax leaf when
its probability reaches a threshold: one global :math:`\tau`, or the
class-balanced thresholds of CBST (Zou et al., ECCV 2018, Eq. 9-10): for
each leaf :math:`c`, :math:`\tau_c` is the confidence below which the
:math:`(1 - \text{portion})` least confident of the pixels predicted as
:math:`c` fall, capped by :math:`\tau`, so rare classes keep their most
confident pixels even when they never reach :math:`\tau`.
"""
from typing import Optional, Tuple

import torch
from torch import Tensor


def confidence_pseudo_labels(
        probs: Tensor,
        threshold: float = 0.9,
        class_balanced_portion: Optional[float] = None,
        valid: Optional[Tensor] = None,
        ignore_index: int = 255) -> Tuple[Tensor, Tensor]:
    """Hard pseudo labels: the argmax class where it is confident enough.

    Args:
        probs (Tensor): ``[B, C, H, W]`` class probabilities (e.g. the mean
            nets' averaged leaf probabilities).
        threshold (float): Global confidence threshold :math:`\\tau`; with
            ``class_balanced_portion`` the cap of every class threshold.
        class_balanced_portion (float, optional): CBST portion
            :math:`p \\in (0, 1]`: class :math:`c`'s threshold is the
            ``floor((1 - p) * (n_c - 1))``-th smallest confidence among the
            :math:`n_c` pixels predicted as :math:`c` (so at least the most
            confident fraction :math:`p` of them is kept), capped by
            ``threshold``. Computed over the pixels of this batch.
        valid (Tensor, optional): ``[B, H, W]`` bool; other pixels are never
            labelled and do not enter the quantiles.
        ignore_index (int): Label of the rejected pixels. Defaults to 255.

    Returns:
        tuple[Tensor, Tensor]: labels ``[B, H, W]`` long (class index or
        ``ignore_index``) and the per-class thresholds ``[C]`` used.
    """
    if not 0 <= threshold <= 1:
        raise ValueError(f'threshold must be in [0, 1], got {threshold}')
    if class_balanced_portion is not None and \
            not 0 < class_balanced_portion <= 1:
        raise ValueError('class_balanced_portion must be in (0, 1], got '
                         f'{class_balanced_portion}')
    num_classes = probs.shape[1]
    conf, label = probs.detach().max(dim=1)
    if valid is None:
        valid = torch.ones_like(label, dtype=torch.bool)
    thresholds = conf.new_full((num_classes, ), float(threshold))
    if class_balanced_portion is not None:
        c, v = label[valid], conf[valid].double()
        counts = torch.bincount(c, minlength=num_classes)
        # one sort for all classes: by class, then by confidence in [0, 1]
        order = torch.sort(c.double() * 2 + v).indices
        sorted_conf = v[order]
        starts = counts.cumsum(0) - counts
        offset = ((1 - class_balanced_portion) *
                  (counts - 1).clamp(min=0).double()).floor().long()
        present = counts > 0
        idx = (starts + offset)[present]
        thresholds[present] = torch.minimum(
            sorted_conf[idx].to(conf.dtype), thresholds[present])
    keep = valid & (conf >= thresholds[label])
    labels = torch.where(keep, label, torch.full_like(label, ignore_index))
    return labels, thresholds
