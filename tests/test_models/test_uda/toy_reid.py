# Copyright (c) mmhier contributors. All rights reserved.
"""A tiny stand-in for ReIDModel that follows the MMT contract (tensor /
predict modes, reset_classifier), fast enough for unit tests on CPU."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample

from mmhier.registry import MODELS


@MODELS.register_module(force=True)
class ToyReIDNet(BaseModel):
    """conv -> BN2d -> global average pool (feat) -> BN1d (bn_feat) ->
    bias-free classifier (logits)."""

    def __init__(self, feat_dim=4, num_classes=3, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.conv = nn.Conv2d(3, feat_dim, 3, padding=1)
        self.bn = nn.BatchNorm2d(feat_dim)
        self.bnneck = nn.BatchNorm1d(feat_dim)
        self.classifier = nn.Linear(feat_dim, num_classes, bias=False)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        feat = F.relu(self.bn(self.conv(inputs))).mean((2, 3))
        bn_feat = self.bnneck(feat)
        if mode == 'tensor':
            return dict(
                feat=feat, bn_feat=bn_feat, logits=self.classifier(bn_feat))
        if mode == 'predict':
            pred = F.normalize(bn_feat, dim=1)
            data_samples = data_samples or [DataSample() for _ in pred]
            for ds, f in zip(data_samples, pred):
                ds.set_field(f, 'pred_feat', field_type='data')
            return data_samples
        raise RuntimeError(mode)

    @torch.no_grad()
    def reset_classifier(self, centroids):
        # re-creates the module (new Parameter): the hard case for optimizers
        self.classifier = nn.Linear(
            centroids.shape[1], centroids.shape[0],
            bias=False).to(centroids.device)
        self.classifier.weight.copy_(F.normalize(centroids, dim=1))
