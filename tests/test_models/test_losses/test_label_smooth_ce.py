# Copyright (c) mmhier contributors. All rights reserved.
import math

import pytest
import torch

from mmhier.models.losses import (LabelSmoothCrossEntropyLoss,
                                  label_smooth_cross_entropy)
from mmhier.registry import MODELS


def _direct(logits, label, eps):
    """q = (1 - eps) onehot + eps / C; loss = mean_i -sum_c q log softmax."""
    num_classes = logits.shape[1]
    q = torch.full_like(logits, eps / num_classes)
    q[torch.arange(len(label)), label] += 1 - eps
    return -(q * torch.log_softmax(logits, 1)).sum(1).mean()


def test_hand_computed_value():
    # softmax([ln 3, 0]) = [0.75, 0.25]; q = [0.95, 0.05]
    # loss = -(0.95 ln 0.75 + 0.05 ln 0.25) = 0.342612687
    logits = torch.tensor([[math.log(3.0), 0.0]])
    loss = label_smooth_cross_entropy(logits, torch.tensor([0]), epsilon=0.1)
    assert loss.item() == pytest.approx(0.342612687, abs=1e-6)


def test_matches_direct_recomputation():
    torch.manual_seed(0)
    logits = torch.randn(6, 5)
    label = torch.tensor([0, 4, 2, 2, 1, 3])
    loss = MODELS.build(dict(type='LabelSmoothCrossEntropyLoss'))(logits,
                                                                  label)
    assert loss.item() == pytest.approx(
        _direct(logits, label, 0.1).item(), rel=1e-5)
    # epsilon 0 is the plain cross-entropy
    plain = label_smooth_cross_entropy(logits, label, epsilon=0.0)
    assert plain.item() == pytest.approx(
        torch.nn.functional.cross_entropy(logits, label).item(), rel=1e-5)


def test_ignore_index_and_all_ignored():
    torch.manual_seed(1)
    logits = torch.randn(4, 3, requires_grad=True)
    label = torch.tensor([1, -1, 2, -1])
    loss = LabelSmoothCrossEntropyLoss(loss_weight=2.0)(logits, label)
    keep = label >= 0
    assert loss.item() == pytest.approx(
        2.0 * _direct(logits[keep], label[keep], 0.1).item(), rel=1e-5)
    # every sample ignored -> zero connected to the graph
    zero = label_smooth_cross_entropy(logits, torch.full((4, ), -1))
    zero.backward()
    assert zero.item() == 0.0 and logits.grad is not None


def test_bad_input():
    with pytest.raises(ValueError, match='logits'):
        label_smooth_cross_entropy(torch.randn(3, 2), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match='epsilon'):
        LabelSmoothCrossEntropyLoss(epsilon=1.0)
