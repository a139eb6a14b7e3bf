# Copyright (c) mmhier contributors. All rights reserved.
import math

import pytest
import torch

from mmhier.models.losses import (SoftmaxTripletLoss, SoftSoftmaxTripletLoss,
                                  batch_hard_mining,
                                  pairwise_euclidean_distance,
                                  soft_softmax_triplet_loss,
                                  softmax_triplet_loss)
from mmhier.registry import MODELS

# 1-D features; labels [0, 0, 1, 1]. Student distances:
#   d(0,1)=1  d(0,2)=3  d(0,3)=3.5  d(1,2)=2  d(1,3)=2.5  d(2,3)=0.5
# batch-hard (anchor: hardest positive idx, hardest negative idx):
#   0: (1, 2)  1: (0, 2)  2: (3, 1)  3: (2, 1)
#   (d_ap, d_an) = (1, 3), (1, 2), (0.5, 2), (0.5, 2.5)
STUDENT = torch.tensor([[0.0], [1.0], [3.0], [3.5]])
LABEL = torch.tensor([0, 0, 1, 1])
STUDENT_PAIRS = [(1.0, 3.0), (1.0, 2.0), (0.5, 2.0), (0.5, 2.5)]
# Teacher features whose OWN hardest negative of anchor 0 is idx 3 (d=3),
# not the student's idx 2: the soft target must use d_T(0, 2) = 3.5.
TEACHER = torch.tensor([[0.0], [2.0], [3.5], [3.0]])
TEACHER_AT_STUDENT_IDX = [(2.0, 3.5), (2.0, 1.5), (0.5, 1.5), (0.5, 1.0)]


def _log_softmax2(a, b):
    z = math.log(math.exp(a) + math.exp(b))
    return a - z, b - z


def test_mining_indices():
    dist = pairwise_euclidean_distance(STUDENT, STUDENT)
    d_ap, d_an, ap_idx, an_idx, has_neg = batch_hard_mining(dist, LABEL)
    assert ap_idx.tolist() == [1, 0, 3, 2]
    assert an_idx.tolist() == [2, 2, 1, 1]
    assert torch.allclose(d_ap, torch.tensor([1.0, 1.0, 0.5, 0.5]))
    assert torch.allclose(d_an, torch.tensor([3.0, 2.0, 2.0, 2.5]))
    assert has_neg.all()


def test_hard_loss_hand_computed():
    # mean_i log(1 + exp(d_ap - d_an)) = 0.192132747
    loss = softmax_triplet_loss(STUDENT, LABEL)
    assert loss.item() == pytest.approx(0.192132747, abs=1e-5)
    direct = sum(-_log_softmax2(ap, an)[1] for ap, an in STUDENT_PAIRS) / 4
    assert loss.item() == pytest.approx(direct, abs=1e-5)


def test_soft_loss_hand_computed_at_student_indices():
    per_anchor = soft_softmax_triplet_loss(
        STUDENT, TEACHER, LABEL, reduction='none')
    # anchor 0: q = softmax(2, 3.5), log p = log_softmax(1, 3)
    #   -(0.182426 * -2.126928 + 0.817574 * -0.126928) = 0.491779059
    assert per_anchor[0].item() == pytest.approx(0.491779059, abs=1e-5)
    direct = []
    for (ap, an), (tap, tan) in zip(STUDENT_PAIRS, TEACHER_AT_STUDENT_IDX):
        q = [math.exp(v) for v in _log_softmax2(tap, tan)]
        lp = _log_softmax2(ap, an)
        direct.append(-(q[0] * lp[0] + q[1] * lp[1]))
    assert per_anchor.tolist() == pytest.approx(direct, abs=1e-5)
    mean = SoftSoftmaxTripletLoss()(STUDENT, TEACHER, LABEL)
    assert mean.item() == pytest.approx(sum(direct) / 4, abs=1e-5)


def _reference_hard(feat, label):
    """Authors' form: sort-based mining, -log_softmax([d_ap, d_an])[1]."""
    n = feat.shape[0]
    dist = torch.cdist(feat, feat)
    losses = []
    for i in range(n):
        pos = [dist[i, j] for j in range(n) if label[j] == label[i]]
        neg = [dist[i, j] for j in range(n) if label[j] != label[i]]
        ap, an = max(pos), min(neg)
        losses.append(-torch.log_softmax(torch.stack([ap, an]), 0)[1])
    return torch.stack(losses).mean()


def test_random_batch_matches_reference_and_gradients():
    torch.manual_seed(0)
    feat = torch.randn(8, 5, requires_grad=True)
    teacher = torch.randn(8, 5, requires_grad=True)
    label = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    hard = MODELS.build(dict(type='SoftmaxTripletLoss'))(feat, label)
    assert hard.item() == pytest.approx(
        _reference_hard(feat, label).item(), rel=1e-4)
    soft = MODELS.build(dict(type='SoftSoftmaxTripletLoss'))(feat, teacher,
                                                             label)
    (hard + soft).backward()
    assert feat.grad is not None and teacher.grad is None
    # normalize_feature: same as feeding normalised features
    normed = SoftmaxTripletLoss(normalize_feature=True)(feat, label)
    assert normed.item() == pytest.approx(
        _reference_hard(torch.nn.functional.normalize(feat), label).item(),
        rel=1e-4)


def test_ignored_labels_and_degenerate_batches():
    # -1 samples take no part: same as dropping them
    feat = torch.cat([STUDENT, torch.tensor([[0.2]])])
    label = torch.cat([LABEL, torch.tensor([-1])])
    assert softmax_triplet_loss(feat, label).item() == pytest.approx(
        0.192132747, abs=1e-5)
    # one identity only: no negative -> zero connected to the graph
    single = torch.randn(4, 3, requires_grad=True)
    loss = SoftmaxTripletLoss()(single, torch.zeros(4, dtype=torch.long))
    loss.backward()
    assert loss.item() == 0.0 and single.grad is not None
    with pytest.raises(ValueError, match='teacher'):
        soft_softmax_triplet_loss(STUDENT, TEACHER[:3], LABEL)
