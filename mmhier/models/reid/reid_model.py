# Copyright (c) mmhier contributors. All rights reserved.
"""The person re-ID model of MMT (Ge et al., ICLR 2020): a ResNet with last
stride 1, global pooling, BNNeck and a bias-free identity classifier."""
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample

from mmhier.registry import MODELS

IMAGENET_PREPROCESSOR = dict(
    type='mmpretrain.ClsDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)


@MODELS.register_module()
class ReIDModel(BaseModel):
    """Person re-identification model.

    ``backbone -> neck (global pool) -> feat -> BNNeck -> bn_feat ->
    classifier -> logits``.

    - ``mode='tensor'``: ``dict(feat, bn_feat, logits)`` (what MMT's losses
      need: pre-BN ``feat`` for the triplet terms, logits for the identity
      terms).
    - ``mode='loss'``: supervised (source-domain) loss from the head:
      label-smoothed CE on ``logits`` + softmax-triplet on ``feat``.
    - ``mode='predict'``: data samples with ``pred_feat`` =
      L2-normalised ``bn_feat`` (the authors' test-time feature), read by
      :class:`mmhier.evaluation.ReIDMetric`.

    Args:
        backbone (dict): Backbone config, e.g. ``mmpretrain.ResNet`` with
            ``strides=(1, 2, 2, 1)`` (last stride 1) and ``out_indices=(3,)``.
        neck (dict): Pooling neck, e.g. ``mmpretrain.GlobalAveragePooling``
            or ``mmpretrain.GeneralizedMeanPooling``.
        head (dict): :class:`ReIDHead` config.
        data_preprocessor (dict, optional): Defaults to mmpretrain's
            ``ClsDataPreprocessor`` with ImageNet mean/std (BGR -> RGB).
        init_cfg (dict, optional): Initialisation config (e.g. a
            ``Pretrained`` backbone checkpoint).
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor or IMAGENET_PREPROCESSOR,
            init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.head = MODELS.build(head)

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Pre-BN pooled features (N, D) of a batch of images (N, 3, H, W)."""
        x = self.backbone(inputs)
        x = self.neck(x)
        if isinstance(x, (tuple, list)):
            x = x[-1]
        return x.flatten(1)

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[list] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor], list]:
        """The unified entry of :class:`mmengine.model.BaseModel`."""
        if mode == 'tensor':
            feat = self.extract_feat(inputs)
            bn_feat, logits = self.head(feat)
            return dict(feat=feat, bn_feat=bn_feat, logits=logits)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}"; expected "tensor", '
                           '"loss" or "predict"')

    @staticmethod
    def labels_of(data_samples: list, device: torch.device) -> torch.Tensor:
        """Stack ``gt_label`` of the data samples into a (N, ) LongTensor."""
        if not data_samples:
            raise ValueError('ReIDModel needs data_samples with gt_label in '
                             'mode="loss"')
        return torch.cat([ds.gt_label.view(-1) for ds in data_samples]).to(
            device=device, dtype=torch.long)

    def loss(self, inputs: torch.Tensor,
             data_samples: list) -> Dict[str, torch.Tensor]:
        """Supervised re-ID losses for a labelled batch."""
        feat = self.extract_feat(inputs)
        label = self.labels_of(data_samples, feat.device)
        if label.max() >= self.head.num_classes:
            raise ValueError(
                f'label {int(label.max())} is out of range for a classifier '
                f'with num_classes={self.head.num_classes}; set '
                'model.head.num_classes to the number of training identities')
        return self.head.loss(feat, label)

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[list] = None) -> List:
        """Attach L2-normalised BN features as ``pred_feat``."""
        bn_feat, _ = self.head(self.extract_feat(inputs))
        pred = F.normalize(bn_feat, dim=1)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(pred.shape[0])]
        for ds, f in zip(data_samples, pred):
            ds.set_field(f, 'pred_feat', field_type='data')
        return data_samples

    def reset_classifier(self, centroids: torch.Tensor) -> None:
        """Re-initialise the classifier from centroids; see
        :meth:`ReIDHead.reset_classifier`."""
        self.head.reset_classifier(centroids)
