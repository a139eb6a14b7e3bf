# Copyright (c) mmhier contributors. All rights reserved.
"""The shipped hierarchical / flat model configs agree with the paper's
tree (read from the repository root, like the tools)."""
import os.path as osp

from mmengine.config import Config

from mmhier.registry import MODELS
from mmhier.taxonomy import LabelTree

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))


def load(name):
    return Config.fromfile(osp.join(REPO, 'configs/_base_/models', name))


def test_hier_config_builds_head():
    cfg = load('hier_r50-d8.py')
    head_cfg = cfg.model.decode_head
    tree = LabelTree.fromfile(osp.join(REPO, cfg.taxonomy))
    head_cfg.taxonomy = tree
    head_cfg.norm_cfg = dict(type='BN')
    head = MODELS.build(head_cfg)
    assert head.num_classes == tree.num_leaves == 108
    assert [c.out_channels for c in head.classifiers] == list(
        tree.classifier_sizes)
    assert head.loss_decode.classifier_weights == [1.0, 0.1, 0.1, 0.1, 0.1]
    assert cfg.model.backbone.dilations == (1, 1, 2, 4)


def test_flat_config_matches_leaves():
    cfg = load('flat_r50-d8.py')
    tree = LabelTree.fromfile(osp.join(REPO, cfg.taxonomy))
    n = tree.num_leaves + len(cfg.flat_coarse_nodes)
    assert cfg.model.decode_head.num_classes == n
    assert cfg.model.auxiliary_head.num_classes == n
    pre = MODELS.build(
        dict(cfg.model.data_preprocessor, taxonomy=tree))
    assert pre.num_flat_classes == n
