# Copyright (c) mmhier contributors. All rights reserved.
"""Tiny stock mmseg / mmpretrain models for the pruning tests."""
import torch
from mmengine.registry import init_default_scope

import mmhier  # noqa: F401
from mmhier.registry import MODELS

NORM = dict(type='BN', requires_grad=True)


def segmentor_cfg(aux: bool = True) -> dict:
    """EncoderDecoder + ResNetV1c-18 (8 base channels) + FCN (+ aux) head."""
    cfg = dict(
        type='EncoderDecoder',
        data_preprocessor=dict(
            type='SegDataPreProcessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True,
            pad_val=0,
            seg_pad_val=255,
            size=(32, 32)),
        backbone=dict(
            type='ResNetV1c',
            depth=18,
            stem_channels=8,
            base_channels=8,
            num_stages=4,
            strides=(1, 2, 1, 1),
            dilations=(1, 1, 2, 4),
            out_indices=(0, 1, 2, 3),
            norm_cfg=NORM,
            contract_dilation=True),
        decode_head=dict(
            type='FCNHead',
            in_channels=64,
            in_index=3,
            channels=16,
            num_convs=1,
            concat_input=True,
            dropout_ratio=0.0,
            num_classes=3,
            norm_cfg=NORM,
            loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
        train_cfg=dict(),
        test_cfg=dict(mode='whole'))
    if aux:
        cfg['auxiliary_head'] = dict(
            type='FCNHead',
            in_channels=32,
            in_index=2,
            channels=8,
            num_convs=1,
            concat_input=False,
            dropout_ratio=0.0,
            num_classes=3,
            norm_cfg=NORM,
            loss_decode=dict(type='CrossEntropyLoss', loss_weight=0.4))
    return cfg


def classifier_cfg() -> dict:
    """mmpretrain ImageClassifier: ResNet-18 (8 base channels) + linear."""
    return dict(
        type='mmpretrain.ImageClassifier',
        data_preprocessor=dict(type='mmpretrain.ClsDataPreprocessor'),
        backbone=dict(
            type='mmpretrain.ResNet',
            depth=18,
            stem_channels=8,
            base_channels=8,
            num_stages=4,
            out_indices=(3, )),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(
            type='mmpretrain.LinearClsHead',
            num_classes=5,
            in_channels=64,
            loss=dict(type='mmpretrain.CrossEntropyLoss')))


def build(cfg: dict, seed: int = 0):
    """Build ``cfg`` with a fixed seed, randomise BN so pruning matters."""
    init_default_scope('mmhier')
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.weight.uniform_(0.1, 1.0)
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return model.eval()
