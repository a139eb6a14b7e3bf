# Copyright (c) mmhier contributors. All rights reserved.
"""The registered re-ID losses are their functional cores times
``loss_weight``, with their options, reduction override and loss names."""
import pytest
import torch

from mmhier.models.losses import (LabelSmoothCrossEntropyLoss,
                                  SoftEntropyLoss, SoftmaxTripletLoss,
                                  SoftSoftmaxTripletLoss,
                                  label_smooth_cross_entropy,
                                  soft_cross_entropy,
                                  soft_softmax_triplet_loss,
                                  softmax_triplet_loss)

LABEL = torch.tensor([0, 0, 1, 1, -1])


def _inputs():
    torch.manual_seed(0)
    return torch.randn(5, 3), torch.randn(5, 3)


def test_default_and_given_loss_names():
    assert [cls().loss_name for cls in (
        LabelSmoothCrossEntropyLoss, SoftEntropyLoss, SoftmaxTripletLoss,
        SoftSoftmaxTripletLoss)] == [
            'loss_ce', 'loss_ce_soft', 'loss_tri', 'loss_tri_soft']
    assert SoftSoftmaxTripletLoss(loss_name='loss_x').loss_name == 'loss_x'


@pytest.mark.parametrize('reduction', [None, 'sum', 'none'])
def test_modules_equal_weighted_functional_cores(reduction):
    a, b = _inputs()
    w = torch.tensor([1., 2., 0.5, 1., 3.])
    kwargs = dict(weight=w, reduction=reduction or 'mean')
    cases = [
        (LabelSmoothCrossEntropyLoss(epsilon=0.2, loss_weight=2.0), (a, LABEL),
         label_smooth_cross_entropy(a, LABEL, epsilon=0.2, **kwargs)),
        (SoftEntropyLoss(loss_weight=2.0), (a, b),
         soft_cross_entropy(a, b, **kwargs)),
        (SoftmaxTripletLoss(normalize_feature=True, loss_weight=2.0),
         (a, LABEL), softmax_triplet_loss(a, LABEL, normalize=True,
                                          **kwargs)),
        (SoftSoftmaxTripletLoss(normalize_feature=True, loss_weight=2.0),
         (a, b, LABEL), soft_softmax_triplet_loss(a, b, LABEL,
                                                  normalize=True, **kwargs)),
    ]
    for module, inputs, expected in cases:
        got = module(*inputs, weight=w, reduction_override=reduction)
        torch.testing.assert_close(got, 2.0 * expected)
    # the options reach the core: without normalisation the value differs
    assert not torch.allclose(
        SoftmaxTripletLoss()(a * 3, LABEL),
        SoftmaxTripletLoss(normalize_feature=True)(a * 3, LABEL))
