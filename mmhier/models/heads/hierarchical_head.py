# Copyright (c) mmhier contributors. All rights reserved.
"""Hierarchical decode head: a tree of softmax classifiers over one shared
feature map (Meletis & Dubbelman, "Training of Convolutional Networks on
Multiple Heterogeneous Datasets for Street Scene Semantic Segmentation",
IEEE IV 2018, Sec. III-B/C and IV).

Output contract
---------------
``forward`` returns **leaf log-probabilities** ``[B, num_leaves, H, W]``::

    log p(leaf) = sum_{(j, s) on the path of leaf} log softmax_j(z_j)_s
                = (path_matrix @ concat_j log_softmax(z_j))[leaf]

so ``num_classes == out_channels == num_leaves`` and mmseg's
``EncoderDecoder`` (whole/slide inference), ``SegTTAModel`` (it averages
``softmax(seg_logits)``, which here are exactly the leaf probabilities) and
``MMSegInferencer`` work unchanged: their ``argmax`` is the *soft* decision
rule (the leaf with the largest product of path probabilities).

With ``decision='greedy'``, ``predict`` returns a one-hot map of the paper's
top-down rule (Sec. III-C: the root decides every pixel, each child classifier
decides only the pixels its parent assigned to it, the final label is the
deepest decision), so the same ``argmax`` yields the greedy leaf; slide/TTA
averaging then becomes a per-leaf vote.

Training uses the raw per-classifier logits (:meth:`forward_classifiers`),
not the leaf log-probabilities: :meth:`loss` calls it directly and passes the
list of per-classifier logits to
:class:`~mmhier.models.losses.HierarchicalLoss`. No
state is kept between calls, so the head is safe under DDP and ``no_grad``.
"""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmcv.cnn import ConvModule, build_conv_layer, build_norm_layer
from mmengine.structures import PixelData
from mmseg.models.backbones.resnet import Bottleneck
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.utils import ConfigType, SampleList
from torch import Tensor

from mmhier.registry import MODELS
from mmhier.taxonomy import LabelTree
from mmhier.taxonomy.decision import (classifier_slot_lists, decided_log_map,
                                      greedy_decision, slot_leaf_list)
from .hybrid_upsample import HybridUpsample
from .tree_softmax import leaf_log_probs, segment_log_softmax


@MODELS.register_module()
class HierarchicalDecodeHead(BaseDecodeHead):
    """Decode head with one softmax classifier per internal taxonomy node.

    Architecture (paper Sec. IV): ``in_channels -> 1x1 conv + BN + ReLU ->
    channels`` (shared), then for every classifier ``j`` (internal node, BFS
    order of the tree): adaptation sub-network (``num_blocks`` ResNet
    bottlenecks), dropout, 1x1 classifier conv to ``#children(j)`` logits and
    the learnable x2 stage of hybrid upsampling (:class:`HybridUpsample`); the
    bilinear stage is the usual resize of the head output. The base class's
    ``conv_seg`` is deleted: DDP must not see unused parameters.

    Args:
        taxonomy (str | dict | LabelTree): Tree file path, config dict or
            tree, passed to ``LabelTree.build``.
        in_channels (int): Channels of the backbone feature.
        channels (int): Shared feature channels. Defaults to 256.
        num_classes (int, optional): Must equal the number of leaves; derived
            from the tree when None.
        adapt_cfg (dict): Default adaptation block of every classifier:
            ``num_blocks`` (0 = classifier on the shared feature), ``planes``
            (bottleneck width; output channels ``4 * planes``), ``dilation``.
            Defaults to ``dict(num_blocks=1, planes=channels // 4,
            dilation=1)``.
        adapt_overrides (dict[str, dict], optional): Per classifier (internal
            node name) updates of ``adapt_cfg``.
        upsample_kernel (int): Kernel of the learnable x2 upsampling.
            Defaults to 4 (the authors' code).
        decision (str): ``'soft'`` (argmax of leaf log-probability) or
            ``'greedy'`` (paper's top-down rule). Defaults to ``'soft'``.
        detail_cfg (dict, optional): Let some branches also read an earlier,
            higher-resolution backbone stage (the paper lets branches differ
            in width and receptive field; reading a finer stage is our
            extension, in the manner of the low-level skip of Chen et al.,
            "Encoder-Decoder with Atrous Separable Convolution for Semantic
            Image Segmentation", ECCV 2018). Keys: ``classifiers`` (internal
            node names), ``in_index`` (backbone output to read),
            ``in_channels`` (its channels), ``channels`` (after a 1x1 conv +
            norm + act). A listed branch's adapter takes the shared feature
            upsampled to that stage's size concatenated with it; its logits
            are then finer than the others, which are resized to them
            (bilinear) before the leaf log-probabilities. Defaults to None.
        **kwargs: :class:`BaseDecodeHead` arguments (``loss_decode`` defaults
            to ``HierarchicalLoss``; losses in it are bound to this tree).
    """

    def __init__(self,
                 taxonomy,
                 in_channels: int,
                 channels: int = 256,
                 num_classes: Optional[int] = None,
                 adapt_cfg: Optional[dict] = None,
                 adapt_overrides: Optional[Dict[str, dict]] = None,
                 upsample_kernel: int = 4,
                 decision: str = 'soft',
                 detail_cfg: Optional[dict] = None,
                 loss_decode: Union[dict, Sequence[dict]] = dict(
                     type='HierarchicalLoss'),
                 init_cfg=dict(
                     type='Normal', std=0.01,
                     override=dict(name='classifiers')),
                 **kwargs) -> None:
        tree = LabelTree.build(taxonomy)
        if num_classes is None:
            num_classes = tree.num_leaves
        if num_classes != tree.num_leaves:
            raise ValueError(
                f'HierarchicalDecodeHead: num_classes={num_classes} but the '
                f'taxonomy has {tree.num_leaves} leaves; set num_classes to '
                f'{tree.num_leaves} (or leave it None).')
        if decision not in ('soft', 'greedy'):
            raise ValueError(f"decision must be 'soft' or 'greedy', got "
                             f'{decision!r}')
        if kwargs.get('sampler') is not None:
            raise ValueError('HierarchicalDecodeHead does not support a '
                             'pixel sampler (sampler must be None)')
        # Losses are built from mmhier's registry (a child of mmseg's), which
        # mmseg's ``build_loss`` cannot see outside a runner's default scope.
        super().__init__(
            in_channels,
            channels,
            num_classes=num_classes,
            loss_decode=[],
            init_cfg=init_cfg,
            **kwargs)
        if isinstance(loss_decode, dict):
            self.loss_decode = MODELS.build(loss_decode)
        elif isinstance(loss_decode, (list, tuple)):
            self.loss_decode = nn.ModuleList(
                [MODELS.build(cfg) for cfg in loss_decode])
        else:
            raise TypeError('loss_decode must be a dict or a sequence of '
                            f'dicts, got {type(loss_decode)}')
        # BaseDecodeHead always builds conv_seg; the classifiers replace it.
        del self.conv_seg
        self.tree = tree
        self.decision = decision
        self.classifier_sizes = list(tree.classifier_sizes)
        self._bind_losses()

        self.shared = ConvModule(
            self.in_channels,
            channels,
            1,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        block_cfgs = self._adapt_cfgs(adapt_cfg, adapt_overrides)
        detail_channels = self._build_detail(detail_cfg)
        self.adapters = nn.ModuleList()
        self.classifiers = nn.ModuleList()
        self.upsamplers = nn.ModuleList()
        for j, (size, cfg) in enumerate(zip(self.classifier_sizes,
                                            block_cfgs)):
            inplanes = self.channels + (
                detail_channels if j in self.detail_classifiers else 0)
            adapter, out_ch = self._build_adapter(inplanes=inplanes, **cfg)
            self.adapters.append(adapter)
            self.classifiers.append(nn.Conv2d(out_ch, size, kernel_size=1))
            self.upsamplers.append(HybridUpsample(size, upsample_kernel))
        self._register_tables()

    # ------------------------------------------------------------ building
    def _adapt_cfgs(self, adapt_cfg, adapt_overrides) -> List[dict]:
        base = dict(num_blocks=1, planes=self.channels // 4, dilation=1)
        base.update(adapt_cfg or {})
        names = list(self.tree.classifier_names)
        overrides = adapt_overrides or {}
        unknown = sorted(set(overrides) - set(names))
        if unknown:
            raise KeyError(f'adapt_overrides names {unknown} which are not '
                           f'classifiers (internal nodes) of the taxonomy; '
                           f'classifiers: {names}')
        cfgs = []
        for name in names:
            cfg = copy.deepcopy(base)
            cfg.update(overrides.get(name, {}))
            extra = set(cfg) - {'num_blocks', 'planes', 'dilation'}
            if extra:
                raise KeyError(f'adapt cfg of classifier {name!r} has '
                               f'unknown keys {sorted(extra)}')
            cfgs.append(cfg)
        return cfgs

    def _build_detail(self, detail_cfg: Optional[dict]) -> int:
        """Build the lateral conv of ``detail_cfg``; set
        ``detail_classifiers`` (classifier indices) and ``detail_in_index``.
        Returns the lateral's output channels (0 without ``detail_cfg``)."""
        self.detail_classifiers = ()
        self.detail_in_index = None
        if detail_cfg is None:
            return 0
        cfg = dict(detail_cfg)
        keys = {'classifiers', 'in_index', 'in_channels', 'channels'}
        if set(cfg) != keys:
            raise KeyError(f'detail_cfg needs exactly the keys '
                           f'{sorted(keys)}, got {sorted(cfg)}')
        names = list(self.tree.classifier_names)
        unknown = [n for n in cfg['classifiers'] if n not in names]
        if unknown or not cfg['classifiers']:
            raise KeyError(f'detail_cfg.classifiers names {unknown or "none"}'
                           f'; classifiers (internal nodes) of the taxonomy: '
                           f'{names}')
        self.detail_classifiers = tuple(
            names.index(n) for n in cfg['classifiers'])
        self.detail_in_index = int(cfg['in_index'])
        self.detail_lateral = ConvModule(
            cfg['in_channels'],
            cfg['channels'],
            1,
            conv_cfg=self.conv_cfg,
            norm_cfg=self.norm_cfg,
            act_cfg=self.act_cfg)
        return cfg['channels']

    def _build_adapter(self, inplanes: int, num_blocks: int, planes: int,
                       dilation: int) -> Tuple[nn.Module, int]:
        if num_blocks == 0:
            return nn.Identity(), inplanes
        norm_cfg = self.norm_cfg or dict(type='BN')
        out_ch = planes * Bottleneck.expansion
        blocks = []
        for _ in range(num_blocks):
            downsample = None
            if inplanes != out_ch:
                downsample = nn.Sequential(
                    build_conv_layer(
                        self.conv_cfg, inplanes, out_ch, 1, bias=False),
                    build_norm_layer(norm_cfg, out_ch)[1])
            blocks.append(
                Bottleneck(
                    inplanes,
                    planes,
                    dilation=dilation,
                    downsample=downsample,
                    conv_cfg=self.conv_cfg,
                    norm_cfg=norm_cfg))
            inplanes = out_ch
        return nn.Sequential(*blocks), out_ch

    def _bind_losses(self) -> None:
        losses = self.loss_decode if isinstance(
            self.loss_decode, nn.ModuleList) else [self.loss_decode]
        for loss in losses:
            if not hasattr(loss, 'bind_taxonomy'):
                raise TypeError(
                    f'HierarchicalDecodeHead loss_decode entries must take '
                    f'per-classifier logits and node-space labels (e.g. '
                    f'HierarchicalLoss); got {type(loss).__name__}')
            loss.bind_taxonomy(self.tree)

    def _register_tables(self) -> None:
        """Hold the tree's tables as non-persistent buffers (they follow the
        head's device): the greedy rule's ``LabelTree.decision_tables``
        (``path_matrix``, ``slot_table``, ``slot_nodes``,
        ``node_own_classifier``), ``leaf_path_index``, ``leaf_index``,
        ``leaf_node`` (``LabelTree.leaves``) and ``code_to_leaf`` (per-pixel
        leaf codes -> leaf index, every other code ``ignore_index``)."""
        tree = self.tree
        self.max_depth = tree.depth
        code_to_leaf = tree.code_to_leaf()
        tables = dict(
            tree.decision_tables(),
            leaf_path_index=tree.leaf_path_index(),
            leaf_index=tree.leaf_index,
            leaf_node=np.asarray(tree.leaves, np.int64),
            code_to_leaf=np.where(code_to_leaf >= 0, code_to_leaf,
                                  self.ignore_index))
        for name, value in tables.items():
            self.register_buffer(
                name, torch.as_tensor(value), persistent=False)
        # the same slots as Python ints: the greedy rule then reads no table
        # back from the device (CUDA graphs capture it)
        self.classifier_slots = classifier_slot_lists(
            tables['slot_table'], len(tables['slot_nodes']))
        self.slot_leaves = slot_leaf_list(tables['path_matrix'])

    # ------------------------------------------------------------ forward
    def forward_classifiers(self, inputs: Sequence[Tensor]) -> List[Tensor]:
        """Raw logits of every classifier, ``[B, K_j, 2h, 2w]`` each (``2h x
        2w`` of the finest branch input with ``detail_cfg``)."""
        x = self._transform_inputs(inputs)
        detail = None
        if self.detail_classifiers:
            detail = self.detail_lateral(inputs[self.detail_in_index])
        return self.cls_seg(self.shared(x), detail)

    def cls_seg(self, feat: Tensor,
                detail: Optional[Tensor] = None) -> List[Tensor]:
        """Run every classifier branch on the shared feature (replaces the
        base class's ``conv_seg``). Returns one logit map per classifier,
        all of one size: the loss consumes them as they are (no
        concatenation to split and re-assemble in the backward pass).

        Args:
            feat (Tensor): Shared feature ``[B, channels, h, w]``.
            detail (Tensor, optional): Lateral feature of ``detail_cfg``
                (finer), read by the branches it lists.
        """
        fine_feat = None
        if detail is not None:
            fine_feat = torch.cat([
                resize(feat, size=detail.shape[2:], mode='bilinear',
                       align_corners=self.align_corners), detail], dim=1)
        outs = []
        for j, (adapter, classifier, upsample) in enumerate(
                zip(self.adapters, self.classifiers, self.upsamplers)):
            x = adapter(fine_feat if j in self.detail_classifiers else feat)
            if self.dropout is not None:
                x = self.dropout(x)
            outs.append(upsample(classifier(x)))
        if fine_feat is not None:
            size = outs[self.detail_classifiers[0]].shape[2:]
            outs = [
                o if o.shape[2:] == size else resize(
                    o, size=size, mode='bilinear',
                    align_corners=self.align_corners) for o in outs
            ]
        return outs

    def leaf_log_probs(self, cls_logits: Union[Tensor,
                                               Sequence[Tensor]]) -> Tensor:
        """Classifier logits (``[B, S, ...]`` or a list of ``[B, K_j, ...]``)
        -> ``[B, L, ...]`` leaf log-probabilities (sum of log-softmax along
        each path)."""
        return leaf_log_probs(
            segment_log_softmax(cls_logits, self.classifier_sizes),
            self.leaf_path_index)

    def slot_log_probs(self, leaf_log_probs: Tensor) -> Tensor:
        """Each classifier's own log-softmax back from leaf log-probabilities
        (the inverse of :meth:`leaf_log_probs`):

        .. math::

            \\log p_j(s) = \\log \\sum_{l \\in leaves(s)} p(l)
                - \\log \\sum_{l \\in leaves(j)} p(l)

        for slot ``s`` of classifier ``j``. Exact for a tree softmax; for
        e.g. resized leaf log-probabilities it gives each classifier's
        normalised share.

        Args:
            leaf_log_probs (Tensor): ``[B, L, ...]``.

        Returns:
            Tensor: ``[B, S, ...]``, in the concatenation order of
            ``classifier_sizes``.
        """
        under = self.path_matrix.t().bool()  # [S, L]: leaves below a slot
        mass = torch.stack([
            leaf_log_probs[:, under[s]].logsumexp(dim=1)
            for s in range(under.shape[0])
        ], dim=1)
        # slots are numbered in concatenation order: the per-classifier
        # normalisation is the head's segment-wise log-softmax
        return segment_log_softmax(mass, self.classifier_sizes)

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Leaf log-probabilities ``[B, num_leaves, 2h, 2w]``."""
        return self.leaf_log_probs(self.forward_classifiers(inputs))

    # ------------------------------------------------------------ decisions
    def greedy_levels(self, seg_logits: Tensor) -> Tuple[Tensor, Tensor]:
        """Top-down rule on leaf log-probabilities; see
        :func:`greedy_decision`. Returns (level nodes, leaf index)."""
        levels, node = greedy_decision(seg_logits, self.path_matrix,
                                       self.slot_table, self.slot_nodes,
                                       self.node_own_classifier,
                                       self.max_depth,
                                       self.classifier_slots,
                                       self.slot_leaves)
        return levels, self.leaf_index[node]

    def decide(self, seg_logits: Tensor) -> Tensor:
        """Apply ``self.decision`` to leaf log-probabilities.

        ``'soft'``: identity (the ``argmax`` downstream is the soft rule).
        ``'greedy'``: the log of the one-hot map of the greedy leaf (0 there,
        :data:`~mmhier.taxonomy.decision.DECIDED_LOG_FLOOR` elsewhere, finite
        so that slide inference can sum it): its ``argmax`` is the greedy
        leaf, its ``softmax`` the one-hot vote that ``SegTTAModel`` averages,
        and the greedy rule run on it again returns the same path (so
        per-level read-outs work on either output).
        """
        if self.decision == 'soft':
            return seg_logits
        _, leaf = self.greedy_levels(seg_logits)
        return decided_log_map(leaf, self.num_classes, seg_logits)

    def predict_levels(self, seg_logits: Tensor) -> Tensor:
        """Node id decided at each level by each classifier itself (the
        greedy walk) on a head output: leaf log-probabilities or the output
        of :meth:`decide`.

        Returns:
            Tensor: ``[B, max_depth, H, W]`` long; level ``d`` holds the node
            at tree level ``d + 1`` on the decided path, -1 below its leaf.
        """
        return self.greedy_levels(seg_logits)[0]

    def add_level_predictions(self, data_samples: SampleList) -> SampleList:
        """Store ``pred_level_sem_seg`` (``[max_depth, H, W]`` node ids, -1
        below the leaf) in each data sample from its ``seg_logits``, for
        visualisation after ``EncoderDecoder.predict``."""
        for sample in data_samples:
            levels = self.predict_levels(sample.seg_logits.data[None])[0]
            sample.set_data(
                dict(pred_level_sem_seg=PixelData(data=levels)))
        return data_samples

    def predict_by_feat(self, seg_logits: Tensor,
                        batch_img_metas: List[dict]) -> Tensor:
        """Resize like the base class, then apply the decision rule."""
        return self.decide(super().predict_by_feat(seg_logits,
                                                   batch_img_metas))

    # ------------------------------------------------------------ training
    def loss(self, inputs: Tuple[Tensor], batch_data_samples: SampleList,
             train_cfg: ConfigType) -> dict:
        """Per-classifier logits -> :meth:`loss_by_feat`."""
        return self.loss_by_feat(
            self.forward_classifiers(inputs), batch_data_samples)

    def loss_by_feat(self, cls_logits: List[Tensor],
                     batch_data_samples: SampleList) -> dict:
        """Hierarchical losses plus the leaf accuracy ``acc_seg``.

        Args:
            cls_logits (list[Tensor]): ``[B, K_j, h, w]`` per classifier,
                from :meth:`forward_classifiers`; resized to the label size
                before the losses (as ``BaseDecodeHead`` does).
            batch_data_samples (list[SegDataSample]): ``gt_sem_seg`` in node
                space; ``metainfo['dataset_name']`` feeds per-dataset switches.

        Returns:
            dict[str, Tensor]: every loss module's items (a dict from
            ``HierarchicalLoss``: one ``<loss_name>.<classifier>`` key per
            classifier) and ``acc_seg`` over pixels with a per-pixel leaf
            label.
        """
        seg_label = self._stack_batch_gt(batch_data_samples)
        cls_logits = [
            resize(
                input=logits,
                size=seg_label.shape[2:],
                mode='bilinear',
                align_corners=self.align_corners) for logits in cls_logits
        ]
        seg_label = seg_label.squeeze(1).long()
        dataset_names = [
            s.metainfo.get('dataset_name') for s in batch_data_samples
        ]
        losses_decode = self.loss_decode if isinstance(
            self.loss_decode, nn.ModuleList) else [self.loss_decode]
        loss = dict()
        for loss_decode in losses_decode:
            items = loss_decode(
                cls_logits,
                seg_label,
                dataset_names=dataset_names,
                ignore_index=self.ignore_index)
            if not isinstance(items, dict):
                items = {loss_decode.loss_name: items}
            for key, value in items.items():
                loss[key] = loss[key] + value if key in loss else value
        with torch.no_grad():
            loss['acc_seg'] = self.leaf_accuracy(cls_logits, seg_label)
        return loss

    def leaf_accuracy(self, cls_logits: Sequence[Tensor],
                      seg_label: Tensor) -> Tensor:
        """Top-1 accuracy (%) of the leaf argmax over the pixels that have
        a per-pixel leaf label (mmseg's ``accuracy`` of the leaf map).

        The leaf log-probabilities are computed on those pixels only: on CPU
        the full-resolution ``[B, L, H, W]`` leaf map and mmseg's ``topk``
        over it took about a fifth of a tiny model's training step for a
        logged number (box-only pixels have no leaf label anyway).

        Args:
            cls_logits (Sequence[Tensor]): ``[B, K_j, H, W]`` per classifier,
                at the label size.
            seg_label (Tensor): ``[B, H, W]`` node-space codes.

        Returns:
            Tensor: 0-100; 0 when no pixel has a leaf label.
        """
        leaf_label = self.code_to_leaf[seg_label.clamp(
            0, len(self.code_to_leaf) - 1)]
        valid = leaf_label != self.ignore_index
        # [N, S] slot log-probabilities of the labelled pixels; on rows the
        # dense path product (one small GEMM) is ~10x faster than the
        # gather of leaf_log_probs, and argmax than topk
        slot_log_probs = segment_log_softmax(
            torch.cat(list(cls_logits), dim=1).permute(0, 2, 3, 1)[valid],
            self.classifier_sizes)
        if slot_log_probs.shape[0] == 0:
            return slot_log_probs.new_zeros(())
        pred = (slot_log_probs @ self.path_matrix.t().to(
            slot_log_probs.dtype)).argmax(1)
        return (pred == leaf_label[valid]).float().mean() * 100
