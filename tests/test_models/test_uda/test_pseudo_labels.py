# Copyright (c) mmhier contributors. All rights reserved.
"""Confidence pseudo labels (global and class-balanced thresholds) on a
hand-computed toy map."""
import pytest
import torch

from mmhier.models.uda.pseudo_labels import confidence_pseudo_labels


def _maps(rows):
    """Rows of per-pixel class vectors -> [1, K, H, W]."""
    return torch.tensor(rows, dtype=torch.float32).permute(2, 0, 1)[None]


def _probs():
    # 2x3 map, 3 classes: argmax / confidence per pixel
    # (0, .95) (0, .6) (0, .5) / (1, .85) (2, .4) (2, .45)
    return _maps([[[0.95, 0.03, 0.02], [0.6, 0.3, 0.1], [0.5, 0.3, 0.2]],
                  [[0.1, 0.85, 0.05], [0.3, 0.3, 0.4], [0.35, 0.2, 0.45]]])


def test_pseudo_labels_global_threshold():
    labels, thr = confidence_pseudo_labels(_probs(), threshold=0.8)
    assert labels.tolist() == [[[0, 255, 255], [1, 255, 255]]]
    assert torch.allclose(thr, torch.full((3, ), 0.8))


def test_pseudo_labels_class_balanced_quantile():
    labels, thr = confidence_pseudo_labels(
        _probs(), threshold=0.8, class_balanced_portion=0.5)
    # class 0: (.5, .6, .95) -> floor(.5 * 2) = 1 -> .6; class 1: .85
    # capped at .8; class 2: (.4, .45) -> floor(.5 * 1) = 0 -> .4
    assert torch.allclose(thr, torch.tensor([0.6, 0.8, 0.4]))
    assert labels.tolist() == [[[0, 0, 255], [1, 2, 2]]]
    # pixels outside `valid` are neither labelled nor counted
    valid = torch.ones(1, 2, 3, dtype=torch.bool)
    valid[0, 0, 0] = False
    labels, thr = confidence_pseudo_labels(
        _probs(), threshold=0.8, class_balanced_portion=0.5, valid=valid)
    assert thr[0].item() == pytest.approx(0.5)
    assert labels.tolist() == [[[255, 0, 0], [1, 2, 2]]]
    with pytest.raises(ValueError, match='class_balanced_portion'):
        confidence_pseudo_labels(_probs(), class_balanced_portion=0.0)
