# Copyright (c) mmhier contributors. All rights reserved.
"""Soft hierarchical loss on hand-computed toys.

Toy tree (two levels): root -> [a, B], B -> [b1, b2]; classifier 0 = root
(K=2), classifier 1 = B (K=2, slot 1 of the root)."""
import math

import pytest
import torch

from mmhier.models.losses import (SoftHierarchicalLoss, hierarchical_loss,
                                  soft_hierarchical_loss)
from mmhier.models.losses.soft_hierarchical_loss import \
    classifier_reach_probs
from mmhier.taxonomy import LabelTree

PARENT, SLOT = [-1, 0], [-1, 1]
TOY_TREE = dict(name='toy', tree={'root': ['a', 'B'], 'B': ['b1', 'b2']},
                level_weights=[1.0, 0.1])


def _maps(rows):
    """[[p00, p01], [p10, p11]] per-pixel class vectors -> [1, K, 2, 2]."""
    return torch.tensor(rows, dtype=torch.float32).permute(2, 0, 1)[None]


def _teacher():
    # root softmax per pixel and B's softmax per pixel
    q0 = _maps([[[0.6, 0.4], [1.0, 0.0]], [[0.25, 0.75], [0.0, 1.0]]])
    q1 = _maps([[[1.0, 0.0], [0.5, 0.5]], [[0.5, 0.5], [0.25, 0.75]]])
    return [q0, q1]


def _student():
    z0 = torch.zeros(1, 2, 2, 2)  # sigma = (1/2, 1/2) everywhere
    z1 = torch.zeros(1, 2, 2, 2)
    z1[:, 1] = math.log(3)  # sigma = (1/4, 3/4) everywhere
    return [z0.requires_grad_(), z1.requires_grad_()]


def test_soft_loss_hand_values():
    losses = soft_hierarchical_loss(_student(), _teacher(), PARENT, SLOT,
                                    [1.0, 0.1])
    # root: every pixel weight 1, CE = log 2 -> mean log 2
    assert losses[0].item() == pytest.approx(math.log(2), abs=1e-6)
    # B: reach r = q0[:, 1] = (0.4, 0, 0.75, 1);
    # CE_p = -(q_b1 log 1/4 + q_b2 log 3/4)
    log4, log43 = math.log(4), math.log(4 / 3)
    num = 0.4 * log4 + 0.75 * (0.5 * log4 + 0.5 * log43) + \
        1.0 * (0.25 * log4 + 0.75 * log43)
    assert losses[1].item() == pytest.approx(0.1 * num / 2.15, abs=1e-6)


def test_hard_routing_and_pixel_weight():
    log4, log43 = math.log(4), math.log(4 / 3)
    # teacher argmax routes pixels (1,0) and (1,1) into B
    losses = soft_hierarchical_loss(_student(), _teacher(), PARENT, SLOT,
                                    [1.0, 1.0], routing='hard')
    num = (0.5 * log4 + 0.5 * log43) + (0.25 * log4 + 0.75 * log43)
    assert losses[1].item() == pytest.approx(num / 2, abs=1e-6)
    # pixel (1,1) masked out: soft weights (0.4, 0, 0.75, 0), sum 1.15
    weight = torch.tensor([[[1., 1.], [1., 0.]]])
    losses = soft_hierarchical_loss(_student(), _teacher(), PARENT, SLOT,
                                    [1.0, 1.0], pixel_weight=weight)
    num = 0.4 * log4 + 0.75 * (0.5 * log4 + 0.5 * log43)
    assert losses[1].item() == pytest.approx(num / 1.15, abs=1e-6)
    assert losses[0].item() == pytest.approx(math.log(2), abs=1e-6)


def test_reach_probs_and_unreached_classifier_is_connected_zero():
    q = _teacher()
    reach = classifier_reach_probs(q, PARENT, SLOT)
    assert torch.equal(reach[0], torch.ones(1, 2, 2))
    assert torch.allclose(reach[1], torch.tensor([[[0.4, 0.], [0.75, 1.]]]))
    q[0] = _maps([[[1., 0.], [1., 0.]], [[1., 0.], [1., 0.]]])
    student = _student()
    losses = soft_hierarchical_loss(student, q, PARENT, SLOT, [1.0, 1.0])
    assert losses[1].item() == 0
    sum(losses).backward()
    assert student[1].grad is not None
    assert torch.count_nonzero(student[1].grad) == 0


def test_one_hot_teacher_equals_hard_hierarchical_loss():
    """With a one-hot teacher the expectation is the hard loss itself."""
    tree = LabelTree(TOY_TREE)
    # leaves per pixel: a, b1, b2, b2 (node ids: a=1, B=2, b1=3, b2=4)
    codes = torch.tensor([[[1, 3], [4, 4]]])
    q0 = _maps([[[1., 0.], [0., 1.]], [[0., 1.], [0., 1.]]])
    q1 = _maps([[[0.5, 0.5], [1., 0.]], [[0., 1.], [0., 1.]]])
    torch.manual_seed(0)
    student = [torch.randn(1, 2, 2, 2), torch.randn(1, 2, 2, 2)]
    soft = soft_hierarchical_loss(student, [q0, q1], PARENT, SLOT,
                                  [1.0, 0.1])
    hard = hierarchical_loss(
        student, codes, torch.as_tensor(tree.classifier_target_lut()),
        torch.as_tensor(tree.code_is_weak), tree.classifier_sizes,
        tree.classifier_parent, tree.classifier_parent_slot, [1.0, 0.1])
    for s, h in zip(soft, hard):
        assert s.item() == pytest.approx(h.item(), abs=1e-6)


def test_module_keys_weights_and_no_teacher_grad():
    loss = SoftHierarchicalLoss(taxonomy=TOY_TREE, loss_weight=2.0)
    teacher = [t.clone().requires_grad_() for t in _teacher()]
    out = loss(_student(), teacher)
    assert list(out) == ['loss_soft_hier.root', 'loss_soft_hier.B']
    assert out['loss_soft_hier.root'].item() == pytest.approx(
        2 * math.log(2), abs=1e-6)
    sum(out.values()).backward()
    assert all(t.grad is None for t in teacher)
    # the tree file's level_weights are the weights, and concatenated
    # layouts work
    loss = SoftHierarchicalLoss(
        taxonomy=dict(TOY_TREE, level_weights=[1.0, 0.0]))
    out = loss(torch.cat(_student(), 1), torch.cat(_teacher(), 1))
    assert out['loss_soft_hier.B'].item() == 0
    with pytest.raises(ValueError, match='level_weights'):
        SoftHierarchicalLoss(taxonomy=dict(TOY_TREE, level_weights=[1.0]))
    # node_weights override single classifiers: root 0.5 log 2, B 0.1 -> 1
    loss = SoftHierarchicalLoss(
        taxonomy=TOY_TREE, node_weights={'root': 0.5, 'B': 1.0})
    assert loss.classifier_weights == [0.5, 1.0]
    out = loss(_student(), _teacher())
    assert out['loss_soft_hier.root'].item() == pytest.approx(
        0.5 * math.log(2), abs=1e-6)
    # B as in test_soft_loss_hand_values, with weight 1 instead of 0.1
    log4, log43 = math.log(4), math.log(4 / 3)
    num = 0.4 * log4 + 0.75 * (0.5 * log4 + 0.5 * log43) + \
        1.0 * (0.25 * log4 + 0.75 * log43)
    assert out['loss_soft_hier.B'].item() == pytest.approx(
        num / 2.15, abs=1e-6)
    with pytest.raises(KeyError, match='nope'):
        SoftHierarchicalLoss(taxonomy=TOY_TREE, node_weights={'nope': 1.0})
    with pytest.raises(ValueError, match='routing'):
        SoftHierarchicalLoss(routing='greedy')
