# Copyright (c) mmhier contributors. All rights reserved.
import math

import pytest
import torch

from mmhier.models.losses import SoftEntropyLoss, soft_cross_entropy
from mmhier.registry import MODELS


def test_hand_computed_value():
    # teacher softmax([0, 0]) = [0.5, 0.5]; student softmax = [0.75, 0.25]
    # loss = -(0.5 ln 0.75 + 0.5 ln 0.25) = 0.836988217
    student = torch.tensor([[math.log(3.0), 0.0]])
    teacher = torch.zeros(1, 2)
    assert soft_cross_entropy(student, teacher).item() == pytest.approx(
        0.836988217, abs=1e-6)


def test_matches_direct_recomputation_and_teacher_detached():
    torch.manual_seed(0)
    student = torch.randn(5, 7, requires_grad=True)
    teacher = torch.randn(5, 7, requires_grad=True)
    loss = MODELS.build(dict(type='SoftEntropyLoss'))(student, teacher)
    direct = -(torch.softmax(teacher, 1) *
               torch.log_softmax(student, 1)).sum(1).mean()
    assert loss.item() == pytest.approx(direct.item(), rel=1e-5)
    loss.backward()
    assert student.grad is not None and teacher.grad is None


def test_weight_and_shape_error():
    student, teacher = torch.randn(3, 4), torch.randn(3, 4)
    full = soft_cross_entropy(student, teacher, reduction='none')
    w = torch.tensor([1.0, 0.0, 2.0])
    loss = SoftEntropyLoss(loss_weight=0.5)(student, teacher, weight=w)
    assert loss.item() == pytest.approx(0.5 * (full * w).mean().item(),
                                        rel=1e-5)
    with pytest.raises(ValueError, match='same shape'):
        soft_cross_entropy(torch.randn(3, 4), torch.randn(3, 5))
