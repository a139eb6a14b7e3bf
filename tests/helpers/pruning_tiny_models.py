# Copyright (c) mmhier contributors. All rights reserved.
"""Tiny stock mmseg / mmpretrain models for the pruning tests, their config
files and their pruned checkpoints."""
import torch
from mmengine.registry import init_default_scope

import mmhier  # noqa: F401
from mmhier.pruning import PruningHistory, PruningPlanner
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
        decode_head=_fcn_head(in_channels=64, in_index=3, channels=16,
                              concat_input=True, loss_weight=1.0),
        train_cfg=dict(),
        test_cfg=dict(mode='whole'))
    if aux:
        cfg['auxiliary_head'] = _fcn_head(in_channels=32, in_index=2,
                                          channels=8, concat_input=False,
                                          loss_weight=0.4)
    return cfg


def _fcn_head(in_channels, in_index, channels, concat_input, loss_weight):
    """A one-conv, three-class FCNHead on a backbone stage."""
    return dict(
        type='FCNHead',
        in_channels=in_channels,
        in_index=in_index,
        channels=channels,
        num_convs=1,
        concat_input=concat_input,
        dropout_ratio=0.0,
        num_classes=3,
        norm_cfg=NORM,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=loss_weight))


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


def write_model_config(path, cfg: dict, extra: str = '') -> str:
    """Write a config file with ``cfg`` as its model (default scope
    ``mmhier``, ``extra`` lines before the model); returns its path."""
    path.write_text(f"default_scope = 'mmhier'\n{extra}model = {cfg!r}\n")
    return str(path)


def prune_and_save(model, path, **meta):
    """Prune ``model`` by half (default planner, a 32x32 input) and save it
    at ``path`` as the pruning hook does: the weights, and the pruning
    history in ``meta`` next to the other ``meta`` entries given."""
    ops = PruningPlanner().step(model, torch.randn(1, 3, 32, 32), 0.5)
    history = PruningHistory([
        dict(source='test', module='', targets=[''], ratio=0.5, step=1,
             num_steps=1, ops=ops)
    ])
    torch.save(
        dict(meta=dict(pruning_history=history.to_meta(), **meta),
             state_dict=model.state_dict()), path)
    return model
