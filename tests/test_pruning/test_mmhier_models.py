# Copyright (c) mmhier contributors. All rights reserved.
"""Pruning mmhier's own models: the hierarchical segmentor and ReIDModel."""
import copy

import torch
from pruning_tiny_models import build, segmentor_cfg

from mmhier.pruning import PruningHistory, PruningPlanner, tensor_forward


def test_hierarchical_segmentor_prunes_backbone_and_adapt_blocks(
        toy_taxonomy):
    # the toy tree (tests/data/toy_tree_taxonomy.py) with its one pixel
    # dataset only
    toy = toy_taxonomy(datasets=dict(gt=None))
    cfg = segmentor_cfg(aux=False)
    cfg['decode_head'] = dict(
        type='HierarchicalDecodeHead', taxonomy=toy, in_channels=64,
        in_index=3, channels=16, norm_cfg=dict(type='BN'),
        adapt_cfg=dict(num_blocks=1, planes=4, dilation=1))
    model = build(cfg)
    twin = copy.deepcopy(model)
    x = torch.randn(2, 3, 32, 32)
    leaf = tensor_forward(model, x)[0]
    assert leaf.shape[1] == 5  # 5 leaves
    # prune inside the head too (shared conv, adaptation blocks), except the
    # per-node classifiers and their upsamplers (widths = numbers of classes)
    ignored = [r'^decode_head\.(classifiers|upsamplers)\.']
    ops = PruningPlanner(ignored_layers=ignored).step(model, x[:1], 0.5)
    assert model.backbone.layer4[0].conv1.out_channels == 32
    assert any(op[0].startswith('decode_head.') for op in ops)
    assert tensor_forward(model, x)[0].shape == leaf.shape
    PruningHistory([dict(source='t', module='', targets=[''], ratio=0.5,
                         step=1, num_steps=1, ops=ops)]).replay(twin)
    twin.load_state_dict(model.state_dict())
    assert torch.equal(tensor_forward(twin, x)[0], tensor_forward(model,
                                                                  x)[0])


def test_reid_model_keeps_embedding_and_classifier():
    cfg = dict(
        type='ReIDModel',
        data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor'),
        backbone=dict(type='mmpretrain.ResNet', depth=18, stem_channels=8,
                      base_channels=8, strides=(1, 2, 2, 1),
                      out_indices=(3, )),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='ReIDHead', in_channels=64, num_classes=7,
                  loss_cls=dict(type='LabelSmoothCrossEntropyLoss',
                                epsilon=0.1),
                  loss_triplet=dict(type='SoftmaxTripletLoss')))
    model = build(cfg)
    x = torch.randn(2, 3, 32, 16)
    before = tensor_forward(model, x)
    PruningPlanner().step(model, x[:1], 0.5)
    after = tensor_forward(model, x)
    assert model.backbone.layer1[0].conv1.out_channels == 4
    before = torch.utils._pytree.tree_leaves(before)
    after = torch.utils._pytree.tree_leaves(after)
    # identity logits keep their width; the embedding narrows with the
    # backbone's last stage (ignore backbone.layer4 to keep it)
    assert after[-1].shape == before[-1].shape == (2, 7)
    assert before[0].shape == (2, 64) and after[0].shape == (2, 32)
