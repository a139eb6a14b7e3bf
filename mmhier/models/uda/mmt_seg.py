# Copyright (c) mmhier contributors. All rights reserved.
"""Mutual Mean-Teaching (Ge et al., ICLR 2020) of a hierarchical semantic
segmentor, for domain adaptation to an unlabelled target dataset."""
import copy
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.structures import BaseDataElement, PixelData
from mmseg.structures import SegDataSample

from mmhier.registry import MODELS
from mmhier.taxonomy import IGNORE_INDEX
from .mmt_base import BaseMutualMeanTeaching
from .pseudo_labels import confidence_pseudo_labels


@MODELS.register_module()
class SegMutualMeanTeaching(BaseMutualMeanTeaching):
    """Mutual Mean-Teaching of a segmentor with a ``HierarchicalDecodeHead``
    (e.g. ``EncoderDecoder``), see :class:`BaseMutualMeanTeaching`.

    A batch mixes labelled source images and unlabelled target images
    (``MultiSourceRatioSampler``); samples whose ``dataset_name`` is in
    ``target_datasets`` are target. Per peer i (teacher j = the other mean
    net; with ``num_peers=1`` the peer's own mean net, i.e. a classic mean
    teacher) the loss is

    .. math::
        \\mathcal{L}_i = \\mathcal{L}_{hier}(\\theta_i; src)
            + (1-\\lambda_{id})\\,\\mathcal{L}_{hier}(\\theta_i;
              \\hat{y}_{tgt})
            + \\lambda_{id}\\,\\mathcal{L}_{soft\\text{-}hier}(\\theta_i |
              E[\\theta_j]; tgt)

    where :math:`\\hat y` are the confident leaves of the mean nets'
    averaged leaf probabilities (:func:`confidence_pseudo_labels`, global
    or class-balanced thresholds) and the soft term is
    :class:`~mmhier.models.losses.SoftHierarchicalLoss`. The mean nets
    predict on the clean batch (source images included, so that their BN
    statistics follow the same source + target mix as the peers' whose
    weights they average; only the target rows are used); each peer gets its
    own :class:`SegViewAugment` view of the whole batch, and the same affine
    transform moves the source labels (nearest), the soft maps and the
    pseudo labels into that view. The target terms are computed at the
    head's logit resolution; the source term is the head's own loss. The
    views are drawn from a generator seeded with ``aug_seed + iteration``,
    so ``--resume`` continues exactly as an uninterrupted run.

    Args:
        model (dict): Config of the inner segmentor.
        target_datasets (str | Sequence[str]): ``dataset_name`` of the
            unlabelled target samples.
        loss_seg_soft (dict): Soft term against the teacher mean net.
        loss_seg_hard (dict): Hard pseudo-label term (a hierarchical loss).
        lambda_id (float): λ_id, the weight of the soft pixel term against
            the hard one. Defaults to 0.5.
        pseudo_threshold (float): Confidence threshold of the pseudo labels
            (the cap of the class thresholds when class-balanced). Defaults
            to 0.9.
        class_balanced_portion (float, optional): CBST portion; None uses
            the global threshold only. Defaults to None.
        view_augment (dict): Per-peer view augmentation.
        aug_seed (int): Seed of the per-iteration view generator.
        data_preprocessor (dict, optional): Shared data preprocessor of all
            nets. None: the inner segmentor's ``data_preprocessor``.
        **kwargs: ``num_peers``, ``peer_init``, ``peer_init_strict``,
            ``test_net``, ``init_cfg`` of :class:`BaseMutualMeanTeaching`.
    """

    def __init__(self,
                 model: dict,
                 target_datasets: Optional[Union[str, Sequence[str]]] = None,
                 loss_seg_soft: dict = dict(type='SoftHierarchicalLoss'),
                 loss_seg_hard: dict = dict(
                     type='HierarchicalLoss', loss_name='loss_pseudo'),
                 lambda_id: float = 0.5,
                 pseudo_threshold: float = 0.9,
                 class_balanced_portion: Optional[float] = None,
                 view_augment: dict = dict(type='SegViewAugment'),
                 aug_seed: int = 0,
                 data_preprocessor: Optional[dict] = None,
                 **kwargs):
        if not 0 <= lambda_id <= 1:
            raise ValueError(f'lambda_id must be in [0, 1], got {lambda_id}')
        if data_preprocessor is None:
            data_preprocessor = copy.deepcopy(model.get('data_preprocessor'))
            if data_preprocessor is None:
                raise KeyError(f'{type(self).__name__}: give '
                               'data_preprocessor= or set one in the inner '
                               'model config')
        super().__init__(
            model, data_preprocessor=data_preprocessor, **kwargs)
        self.lambda_id = lambda_id
        head = getattr(self.peer1, 'decode_head', None)
        if not hasattr(head, 'forward_classifiers') or \
                not hasattr(head, 'tree'):
            raise TypeError(
                f'{type(self).__name__} needs a segmentor with a '
                f'HierarchicalDecodeHead, got decode_head '
                f'{type(head).__name__}')
        if isinstance(target_datasets, str):
            target_datasets = [target_datasets]
        if not target_datasets:
            raise ValueError(f'{type(self).__name__} needs target_datasets: '
                             'the dataset_name(s) of the unlabelled target')
        self.target_datasets = tuple(target_datasets)
        self.loss_seg_soft = MODELS.build(loss_seg_soft)
        self.loss_seg_hard = MODELS.build(loss_seg_hard)
        for loss in (self.loss_seg_soft, self.loss_seg_hard):
            loss.bind_taxonomy(head.tree)
        self.pseudo_threshold = pseudo_threshold
        self.class_balanced_portion = class_balanced_portion
        # validate now rather than at the first iteration
        confidence_pseudo_labels(
            torch.ones(1, 1, 1, 1), pseudo_threshold, class_balanced_portion)
        self.view_augment = MODELS.build(view_augment)
        self.aug_seed = aug_seed

    @staticmethod
    def _seg_logits(net: nn.Module, img: torch.Tensor) -> List[torch.Tensor]:
        """Per-classifier logits ``[B, K_j, h, w]`` of a segmentor."""
        return net.decode_head.forward_classifiers(net.extract_feat(img))

    def _split_domains(self, data_samples: List[BaseDataElement]):
        """Indices of the source and the target samples of a batch."""
        src, tgt = [], []
        for k, sample in enumerate(data_samples):
            name = sample.metainfo.get('dataset_name')
            if name is None:
                raise KeyError(
                    f'data sample of {sample.metainfo.get("img_path")} has '
                    "no metainfo['dataset_name']; pack it (PackHierSegInputs)")
            if name in self.target_datasets:
                tgt.append(k)
            else:
                if 'gt_sem_seg' not in sample:
                    raise KeyError(
                        f'source sample {sample.metainfo.get("img_path")} '
                        f'({name}) has no gt_sem_seg; target_datasets='
                        f'{self.target_datasets}')
                src.append(k)
        return src, tgt

    @torch.no_grad()
    def _seg_teacher_targets(self, inputs: torch.Tensor,
                             tgt_idx: torch.Tensor):
        """Mean nets on the clean batch: each one's per-classifier softmax
        (concatenated slots ``[Bt, S, h, w]``) and the leaf pseudo labels
        (node codes, 255 = rejected) of their averaged leaf probabilities,
        at the target images.

        The mean nets see the whole batch, source images included, although
        only the target rows are used: like the peers, whose weights they
        average, they then normalise (and keep BN running statistics) over
        the source + target mix.
        """
        head = self.peer1.decode_head
        slot_probs, leaf_probs = [], []
        for mean in self.mean_nets:
            logits = [z[tgt_idx] for z in self._seg_logits(mean, inputs)]
            slot_probs.append(
                torch.cat([F.softmax(z, dim=1) for z in logits], dim=1))
            leaf_probs.append(head.leaf_log_probs(logits).exp())
        leaf, thresholds = confidence_pseudo_labels(
            sum(leaf_probs) / len(leaf_probs), self.pseudo_threshold,
            self.class_balanced_portion, ignore_index=IGNORE_INDEX)
        ignore = leaf == IGNORE_INDEX
        codes = head.leaf_node[leaf.clamp(max=head.num_classes - 1)]
        codes = codes.masked_fill(ignore, IGNORE_INDEX)
        return slot_probs, codes, thresholds

    def loss(self, inputs: torch.Tensor,
             data_samples: List[BaseDataElement]) -> Dict[str, torch.Tensor]:
        """The segmentation loss terms of MMT (class docstring).

        Returns, for each peer i: ``loss_src_i`` (hierarchical loss on the
        source labels), ``loss_pseudo_i`` (hierarchical loss on the mean
        nets' pseudo labels, weighted 1-λ_id), ``loss_soft_i`` (soft
        hierarchical loss against mean net j, weighted λ_id), ``acc_src_i``;
        and ``pseudo_ratio`` (fraction of target pixels with a pseudo label).
        """
        if not isinstance(inputs, torch.Tensor):
            raise TypeError(f'{type(self).__name__} expects one batch tensor '
                            'from SegDataPreProcessor, got '
                            f'{type(inputs).__name__}')
        head = self.peer1.decode_head
        src, tgt = self._split_domains(data_samples)
        src_samples = [data_samples[k] for k in src]
        tgt_names = [data_samples[k].metainfo['dataset_name'] for k in tgt]
        device = inputs.device
        src_idx = torch.tensor(src, dtype=torch.long, device=device)
        tgt_idx = torch.tensor(tgt, dtype=torch.long, device=device)
        losses = dict()
        if tgt:
            slot_probs, codes, _ = self._seg_teacher_targets(inputs, tgt_idx)
            losses['pseudo_ratio'] = (codes != IGNORE_INDEX).float().mean()
        if src:
            src_labels = torch.stack(
                [s.gt_sem_seg.data for s in src_samples]).float()
        step = MessageHub.get_current_instance().get_info('iter', 0)
        generator = torch.Generator().manual_seed(self.aug_seed + int(step))
        sizes = list(head.classifier_sizes)
        for i, peer in enumerate(self.peers):
            tag = str(i + 1)
            params = self.view_augment.sample(len(data_samples), generator)
            theta = params['theta']
            logits = self._seg_logits(peer, self.view_augment(inputs, params))
            # exact zeros connected to every classifier (DDP, empty domains)
            zero = sum(z.sum() for z in logits) * 0
            losses[f'loss_src_{tag}'] = zero
            losses[f'loss_pseudo_{tag}'] = zero
            losses[f'loss_soft_{tag}'] = zero
            if src:
                view_labels = self.view_augment.warp(
                    src_labels, theta[src], mode='nearest').long()
                view_samples = [
                    SegDataSample(
                        metainfo=s.metainfo,
                        gt_sem_seg=PixelData(data=label))
                    for s, label in zip(src_samples, view_labels)
                ]
                items = head.loss_by_feat([z[src_idx] for z in logits],
                                          view_samples)
                losses[f'loss_src_{tag}'] = zero + sum(
                    v for k, v in items.items() if 'loss' in k)
                losses[f'acc_src_{tag}'] = items['acc_seg']
            if tgt:
                tgt_logits = [z[tgt_idx] for z in logits]
                out_size = tgt_logits[0].shape[2:]
                teacher = self.view_augment.warp(
                    slot_probs[self.teacher_of(i)], theta[tgt], out_size)
                soft = self.loss_seg_soft(
                    tgt_logits, teacher.split(sizes, dim=1))
                view_codes = self.view_augment.warp(
                    codes[:, None].float(), theta[tgt], out_size,
                    mode='nearest')[:, 0].long()
                hard = self.loss_seg_hard(
                    tgt_logits, view_codes, dataset_names=tgt_names)
                losses[f'loss_soft_{tag}'] = zero + self.lambda_id * sum(
                    soft.values())
                losses[f'loss_pseudo_{tag}'] = zero + (
                    1 - self.lambda_id) * sum(hard.values())
        return losses
