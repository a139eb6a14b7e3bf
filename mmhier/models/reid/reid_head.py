# Copyright (c) mmhier contributors. All rights reserved.
"""BNNeck + bias-free identity classifier, the head of the MMT re-ID model."""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule

from mmhier.registry import MODELS


@MODELS.register_module()
class ReIDHead(BaseModule):
    """BNNeck (Luo et al., 2019) followed by a bias-free linear classifier.

    As in the MMT authors' model: ``bn_feat = BN1d(feat)`` with the BN bias
    frozen at zero, ``logits = W bn_feat`` with ``W`` initialised from
    N(0, 0.001^2). The triplet losses use the pre-BN ``feat``; the
    classifier sees ``bn_feat``; retrieval uses L2-normalised ``bn_feat``.

    Args:
        in_channels (int): Feature dimension D (2048 for ResNet-50).
        num_classes (int): Number of identities (or pseudo identities).
        loss_cls (dict): Identity loss config. Defaults to label-smoothed
            cross-entropy with epsilon 0.1.
        loss_triplet (dict, optional): Metric loss on the pre-BN features.
            Defaults to the batch-hard softmax-triplet loss; None disables it.
        neck_norm_cfg (dict): The neck's normalisation layer (mmcv
            ``build_norm_layer``). Defaults to ``dict(type='BN1d')``, the
            BNNeck. Another layer (e.g. GN) only serves tests that need
            per-sample computations, such as the DDP equivalence test (BN's
            batch statistics depend on how a batch is split over ranks, and
            SyncBN needs a GPU).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 loss_cls: dict = dict(
                     type='LabelSmoothCrossEntropyLoss', epsilon=0.1),
                 loss_triplet: Optional[dict] = dict(
                     type='SoftmaxTripletLoss'),
                 neck_norm_cfg: dict = dict(type='BN1d'),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        self.num_classes = num_classes
        self.bnneck = build_norm_layer(neck_norm_cfg, in_channels)[1]
        self.classifier = nn.Linear(in_channels, num_classes, bias=False)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_triplet = (
            MODELS.build(loss_triplet) if loss_triplet is not None else None)
        self._reset_parameters()

    @property
    def in_channels(self) -> int:
        """Feature dimension D, read from the classifier: structural pruning
        of the backbone narrows the BNNeck (BN or GroupNorm) and the
        classifier with it, and clustering must then give centroids of the
        new width."""
        return self.classifier.in_features

    def _reset_parameters(self) -> None:
        nn.init.constant_(self.bnneck.weight, 1.0)
        nn.init.constant_(self.bnneck.bias, 0.0)
        self.bnneck.bias.requires_grad_(False)
        nn.init.normal_(self.classifier.weight, std=0.001)

    def init_weights(self) -> None:
        """Keep the authors' BNNeck/classifier initialisation."""
        super().init_weights()
        self._reset_parameters()

    def forward(self, feat: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Return ``(bn_feat, logits)`` for pooled features (N, D)."""
        bn_feat = self.bnneck(feat)
        return bn_feat, self.classifier(bn_feat)

    def loss(self, feat: torch.Tensor,
             label: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Identity loss on the classifier logits plus the metric loss on the
        pre-BN features.

        Args:
            feat (Tensor): Pre-BN pooled features (N, D).
            label (Tensor): Identity labels (N, ).

        Returns:
            dict[str, Tensor]: Losses keyed by their ``loss_name``, plus
            ``accuracy`` (top-1 of the classifier, not back-propagated).
        """
        _, logits = self(feat)
        losses = {self.loss_cls.loss_name: self.loss_cls(logits, label)}
        if self.loss_triplet is not None:
            losses[self.loss_triplet.loss_name] = self.loss_triplet(
                feat, label)
        with torch.no_grad():
            valid = label >= 0
            correct = (logits.argmax(1) == label) & valid
            losses['accuracy'] = (correct.sum().float() /
                                  valid.sum().clamp(min=1)) * 100.0
        return losses

    @torch.no_grad()
    def reset_classifier(self, centroids: torch.Tensor) -> None:
        """Re-initialise the classifier from (pseudo-)identity centroids.

        The weight becomes ``normalize(centroids)`` of shape (C, D); the
        ``nn.Parameter`` object is kept (only its data is replaced) so an
        optimizer that holds it keeps updating it. Its state (e.g. Adam's
        moments) must be reset by the caller when C changes. Under DDP a
        change of C also needs the DDP wrapper rebuilt.

        Args:
            centroids (Tensor): Class centroids of shape (C, D).
        """
        if centroids.dim() != 2 or centroids.shape[1] != self.in_channels:
            raise ValueError('reset_classifier expects centroids of shape '
                             f'(C, {self.in_channels}), got '
                             f'{tuple(centroids.shape)}')
        weight = self.classifier.weight
        weight.data = F.normalize(
            centroids.detach().to(device=weight.device, dtype=weight.dtype),
            dim=1).contiguous()
        weight.grad = None
        self.classifier.out_features = centroids.shape[0]
        self.num_classes = centroids.shape[0]
