# Copyright (c) mmhier contributors. All rights reserved.
"""Mutual Mean-Teaching (Ge et al., ICLR 2020) as an MMEngine model."""
import copy
import logging
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MessageHub, print_log
from mmengine.model import BaseModel
from mmengine.runner.checkpoint import load_state_dict
from mmengine.structures import BaseDataElement, PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.structures import SegDataSample

from mmhier.models.losses.soft_hierarchical_loss import \
    confidence_pseudo_labels
from mmhier.registry import MODELS
from mmhier.utils import load_checkpoint_file

TASKS = ('auto', 'reid', 'seg')

#: Normalises one tensor or a list of views (ImageNet mean/std, BGR -> RGB).
MULTIVIEW_PREPROCESSOR = dict(
    type='mmpretrain.SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)


@MODELS.register_module()
class MMT(BaseModel):
    """Mutual Mean-Teaching: two peer networks and their two mean networks.

    `Mutual Mean-Teaching: Pseudo Label Refinery for Unsupervised Domain
    Adaptation on Person Re-identification
    <https://arxiv.org/abs/2001.01526>`_ (authors' code: yxgeee/MMT).

    The four nets are built from ONE inner model config. ``mean1``/``mean2``
    are the temporal averages E[θ_1], E[θ_2] of the peers, updated by
    :class:`~mmhier.engine.hooks.MeanNetHook`; they never get gradients.
    Peer i is supervised by the hard pseudo labels (from
    :class:`~mmhier.engine.hooks.ClusterPseudoLabelHook`) and by the soft
    labels of the mean net of the OTHER peer j (Eq. 9 of the paper):

    .. math::
        \\mathcal{L}_i = (1-\\lambda_{id})\\,\\mathcal{L}_{id}(\\theta_i)
            + \\lambda_{id}\\,\\mathcal{L}_{sid}(\\theta_i | E[\\theta_j])
            + (1-\\lambda_{tri})\\,\\mathcal{L}_{tri}(\\theta_i)
            + \\lambda_{tri}\\,\\mathcal{L}_{stri}(\\theta_i | E[\\theta_j])

    and the total loss is L_1 + L_2.

    **Two augmented views.** Each peer sees its own random augmentation of
    the same batch. This is done in the dataset, as the authors do (their
    ``Preprocessor(mutual=True)`` applies the training transform twice): the
    train pipeline wraps the augmentation in ``mmpretrain.MultiView`` with
    ``num_views=2``, the dataloader uses ``default_collate`` and the data
    preprocessor is ``mmpretrain.SelfSupDataPreprocessor``, so ``inputs``
    arrives here as ``[view1, view2]``. We prefer this to tensor
    augmentation inside the model because it reuses mmpretrain's tested
    transforms (``RandomFlip``, ``RandomCrop`` with padding,
    ``RandomErasing``) unchanged, runs in the dataloader workers, and keeps
    the wrapper free of task-specific image code (a segmentation variant
    would need label-aware geometric augmentation). As in the authors' code,
    mean net j is run on view j (``model_2_ema(inputs_2)``).

    **BN statistics.** The mean nets are run forward in train mode during
    training (the authors call ``model_ema.train()``), under ``no_grad``:
    their BatchNorm layers normalise with batch statistics and update their
    OWN running statistics; :class:`MeanNetHook` averages parameters only
    and never copies buffers.

    **Pseudo labels** live in the persistent buffer ``pseudo_labels``
    (LongTensor[N_target], -1 = outlier/unassigned), so they are saved in
    checkpoints and survive ``--resume`` and dataloader workers. ``loss()``
    replaces every sample's label with ``pseudo_labels[sample_idx]`` and
    drops samples labelled -1 from all four terms (the soft softmax-triplet
    term mines its triplets with the hard labels).

    **Inference** uses one mean net (``test_net``): ``'mean1'``, ``'mean2'``
    or ``'auto'``; ``'auto'`` uses the buffer ``best_mean`` (0 -> mean1,
    1 -> mean2, saved in checkpoints), which ``MeanNetHook`` sets after each
    validation when it is given ``select_metric`` (it then also evaluates
    the other mean net, as the authors evaluate both every epoch and keep
    the better one). Without that it stays 0 (mean1).

    Inner model contract (``ReIDModel``): ``net(inputs, mode='tensor')``
    returns ``dict(feat=<pre-BN>, bn_feat=<BN>, logits=<classifier>)``,
    ``mode='predict'`` returns data samples, and
    ``net.reset_classifier(centroids)`` re-creates the classifier.

    **Segmentation** (``task='seg'``, chosen automatically for an mmseg
    segmentor, e.g. ``EncoderDecoder`` with a ``HierarchicalDecodeHead``):
    a batch mixes labelled source images and unlabelled target images
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
        model (dict): Config of the inner model (e.g. ``ReIDModel``).
        loss_ce (dict): Hard identity loss on pseudo labels (cross-entropy
            with label smoothing ε=0.1, as the authors).
        loss_soft_ce (dict): Soft cross-entropy against the peer mean net's
            softmax.
        loss_tri (dict): Hard softmax-triplet loss with batch-hard mining.
        loss_soft_tri (dict): Soft softmax-triplet loss whose target is the
            peer mean net's softmax over (d_ap, d_an) at the student's mined
            indices.
        lambda_id (float): λ_id, the weight of the soft class term
            against the hard one (re-ID identities, or segmentation pixels).
            Defaults to 0.5 (authors).
        lambda_tri (float): λ_tri. Defaults to 0.8 (authors'
            ``--soft-tri-weight``).
        peer_init (str | list[str], optional): Source-domain checkpoint(s)
            loaded into the peers by :meth:`init_weights`; the mean nets
            start as copies of the peers. Two checkpoints (two pre-training
            seeds, as in the paper) init peer1 and peer2; one checkpoint
            inits both peers, which then differ only through their
            independent augmentations. Only the rows of the classifier (the
            module named ``classifier``) may differ (source identities vs.
            target clusters): they are skipped and the clustering hook
            re-initialises them. Defaults to None.
        peer_init_strict (bool): Any other difference between a
            ``peer_init`` checkpoint and the inner model (a missing or
            unexpected key, another shape, e.g. a pruned source model) is an
            error naming the key. False loads what fits and logs, as a
            warning, every key it skipped. Defaults to True.
        test_net (str): ``'mean1'``, ``'mean2'`` or ``'auto'``.
        data_preprocessor (dict, optional): Shared data preprocessor of all
            four nets (the inner model's own one is not used). None: for
            re-ID ``mmpretrain.SelfSupDataPreprocessor`` with ImageNet
            mean/std and BGR -> RGB (it must accept a list of views); for
            segmentation the inner segmentor's ``data_preprocessor``.
        task (str): ``'reid'``, ``'seg'`` or ``'auto'`` (``'seg'`` when the
            inner model is an mmseg ``BaseSegmentor``). Defaults to
            ``'auto'``.
        num_peers (int): 2 (MMT) or 1 (one peer + its mean net: the mean
            teacher baseline). Defaults to 2.
        target_datasets (str | Sequence[str], optional): Segmentation:
            ``dataset_name`` of the unlabelled target samples.
        loss_seg_soft (dict): Segmentation soft term.
        loss_seg_hard (dict): Segmentation hard pseudo-label term (a
            hierarchical loss).
        pseudo_threshold (float): Confidence threshold of the pseudo labels
            (the cap of the class thresholds when class-balanced). Defaults
            to 0.9.
        class_balanced_portion (float, optional): CBST portion; None uses
            the global threshold only. Defaults to None.
        view_augment (dict): Per-peer view augmentation (segmentation).
        aug_seed (int): Seed of the per-iteration view generator.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 model: dict,
                 loss_ce: dict = dict(
                     type='LabelSmoothCrossEntropyLoss', epsilon=0.1),
                 loss_soft_ce: dict = dict(type='SoftEntropyLoss'),
                 loss_tri: dict = dict(type='SoftmaxTripletLoss'),
                 loss_soft_tri: dict = dict(type='SoftSoftmaxTripletLoss'),
                 lambda_id: float = 0.5,
                 lambda_tri: float = 0.8,
                 peer_init: Optional[Union[str, Sequence[str]]] = None,
                 peer_init_strict: bool = True,
                 test_net: str = 'auto',
                 data_preprocessor: Optional[dict] = None,
                 task: str = 'auto',
                 num_peers: int = 2,
                 target_datasets: Optional[Union[str, Sequence[str]]] = None,
                 loss_seg_soft: dict = dict(type='SoftHierarchicalLoss'),
                 loss_seg_hard: dict = dict(
                     type='HierarchicalLoss', loss_name='loss_pseudo'),
                 pseudo_threshold: float = 0.9,
                 class_balanced_portion: Optional[float] = None,
                 view_augment: dict = dict(type='SegViewAugment'),
                 aug_seed: int = 0,
                 init_cfg: Optional[dict] = None):
        if task not in TASKS:
            raise ValueError(f'task must be one of {TASKS}, got {task!r}')
        if task == 'auto':
            task = self._infer_task(model)
        if num_peers not in (1, 2):
            raise ValueError(f'num_peers must be 1 or 2, got {num_peers}')
        if data_preprocessor is None:
            data_preprocessor = copy.deepcopy(
                model.get('data_preprocessor') if task == 'seg' else
                MULTIVIEW_PREPROCESSOR)
            if data_preprocessor is None:
                raise KeyError('MMT(task=\'seg\'): give data_preprocessor= '
                               'or set one in the inner model config')
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.task = task
        self.num_peers = num_peers
        if not (0 <= lambda_id <= 1 and 0 <= lambda_tri <= 1):
            raise ValueError('lambda_id and lambda_tri must be in [0, 1], got '
                             f'{lambda_id} and {lambda_tri}')
        if test_net not in ('mean1', 'mean2', 'auto') or \
                (num_peers == 1 and test_net == 'mean2'):
            raise ValueError("test_net must be 'mean1', 'mean2' (two peers) "
                             f"or 'auto', got {test_net!r}")
        if isinstance(peer_init, str):
            peer_init = [peer_init]
        if peer_init is not None and not 1 <= len(peer_init) <= num_peers:
            raise ValueError(f'peer_init takes 1 to {num_peers} '
                             f'checkpoint(s), got {len(peer_init)}')
        self.peer_init = list(peer_init) if peer_init else None
        self.peer_init_strict = peer_init_strict
        self.lambda_id = lambda_id
        self.lambda_tri = lambda_tri
        self.test_net = test_net

        for k in range(1, num_peers + 1):
            setattr(self, f'peer{k}', MODELS.build(copy.deepcopy(model)))
        for k in range(1, num_peers + 1):
            setattr(self, f'mean{k}', copy.deepcopy(self.peers[k - 1]))
        self._freeze_mean_nets()

        if task == 'reid':
            if not hasattr(self.peer1, 'reset_classifier'):
                raise TypeError(
                    f'the inner model {type(self.peer1).__name__} has no '
                    'reset_classifier(centroids); MMT needs it')
            self.loss_ce = MODELS.build(loss_ce)
            self.loss_soft_ce = MODELS.build(loss_soft_ce)
            self.loss_tri = MODELS.build(loss_tri)
            self.loss_soft_tri = MODELS.build(loss_soft_tri)
        else:
            self._build_seg(target_datasets, loss_seg_soft, loss_seg_hard,
                            pseudo_threshold, class_balanced_portion,
                            view_augment, aug_seed)

        self.register_buffer('pseudo_labels',
                             torch.zeros(0, dtype=torch.long))
        self.register_buffer('best_mean', torch.tensor(0, dtype=torch.long))

    # ------------------------------------------------------------------
    # nets, weights, checkpoints
    # ------------------------------------------------------------------
    @staticmethod
    def _infer_task(model: dict) -> str:
        """``'seg'`` for an mmseg segmentor config, else ``'reid'``."""
        cls = model.get('type')
        if isinstance(cls, str):
            cls = MODELS.get(cls)
        return 'seg' if isinstance(cls, type) and issubclass(
            cls, BaseSegmentor) else 'reid'

    @property
    def peers(self) -> List[nn.Module]:
        return [getattr(self, f'peer{k + 1}') for k in range(self.num_peers)]

    @property
    def mean_nets(self) -> List[nn.Module]:
        return [getattr(self, f'mean{k + 1}') for k in range(self.num_peers)]

    @property
    def net_names(self) -> List[str]:
        return [f'{kind}{k}' for kind in ('peer', 'mean')
                for k in range(1, self.num_peers + 1)]

    def teacher_of(self, i: int) -> int:
        """Index of the mean net that supervises peer ``i``: the OTHER
        peer's (MMT), or its own with one peer (mean teacher)."""
        return 1 - i if self.num_peers == 2 else i

    def _freeze_mean_nets(self) -> None:
        for net in self.mean_nets:
            net.requires_grad_(False)

    def init_weights(self) -> None:
        """Initialise, load the source checkpoint(s) into the peers, then
        copy each peer (parameters and buffers) into its mean net
        (E^(0)[θ_i] = θ_i)."""
        super().init_weights()
        if self.peer_init:
            ckpts = self.peer_init * (self.num_peers // len(self.peer_init))
            for peer, filename in zip(self.peers, ckpts):
                load_state_dict(peer, self._peer_state(peer, filename),
                                strict=False, logger='current')
        for peer, mean in zip(self.peers, self.mean_nets):
            mean.load_state_dict(peer.state_dict())
        self._freeze_mean_nets()

    @staticmethod
    def _is_classifier_key(key: str) -> bool:
        """A parameter of the inner model's identity classifier (a module
        named ``classifier``, e.g. ``head.classifier.weight``)."""
        parts = key.split('.')
        return len(parts) >= 2 and parts[-2] == 'classifier'

    def _peer_state(self, peer: nn.Module, filename: str) -> dict:
        """The weights of ``filename`` that ``peer`` takes (see
        ``peer_init_strict``), with the errors and log lines that say what
        did not fit."""
        checkpoint = load_checkpoint_file(filename)
        state = checkpoint.get('state_dict', checkpoint)
        state = {
            k[len('module.'):] if k.startswith('module.') else k: v
            for k, v in state.items()
        }
        own = peer.state_dict()
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        rows, mismatched = [], []
        for k in own:
            if k not in state or state[k].shape == own[k].shape:
                continue
            if self._is_classifier_key(k) and state[k].dim() == own[k].dim() \
                    and state[k].shape[1:] == own[k].shape[1:]:
                rows.append(k)  # source identities vs target clusters
            else:
                mismatched.append(k)
        shapes = [
            f'{k!r}: {tuple(state[k].shape)} in the checkpoint, '
            f'{tuple(own[k].shape)} in the model' for k in mismatched
        ]
        pruned = ' (the checkpoint carries a pruning history: it was ' \
            'pruned)' if 'pruning_history' in (checkpoint.get('meta') or
                                               {}) else ''
        where = f'MMT peer_init: {filename} does not fit ' \
            f'{type(peer).__name__}'
        if self.peer_init_strict:
            if mismatched:
                raise ValueError(
                    f'{where}{pruned}: only the classifier\'s rows may '
                    f'differ, but {"; ".join(shapes)}. Pass '
                    'peer_init_strict=False to load what fits (the rest '
                    'stays randomly initialised).')
            if missing or unexpected:
                raise KeyError(
                    f'{where}: missing keys {missing}, unexpected keys '
                    f'{unexpected}. Pass peer_init_strict=False to load '
                    'what fits (the rest stays randomly initialised).')
        elif mismatched or missing or unexpected:
            print_log(
                f'{where}{pruned}; peer_init_strict=False, so these are NOT '
                f'loaded (they keep their random initialisation): '
                f'mismatched {shapes}, missing keys {missing}, unexpected '
                f'keys {unexpected}', 'current', level=logging.WARNING)
        if rows:
            print_log(
                f'MMT peer_init: {filename}: classifier rows '
                f'{[(k, tuple(state[k].shape)) for k in rows]} differ from '
                'the target\'s and are not loaded (clustering re-initialises '
                'them)', 'current')
        skip = set(rows) | set(mismatched)
        state = {k: v for k, v in state.items() if k in own and k not in skip}
        if not state:
            raise KeyError(
                f'{filename} holds no weights of the inner model '
                f'{type(peer).__name__} (no matching key/shape)')
        return state

    def adapt_to_state_dict(self, state_dict: dict, prefix: str = '') -> bool:
        """Resize the classifiers and ``pseudo_labels`` to the shapes in
        ``state_dict`` before it is loaded (DBSCAN changes the number of
        clusters, and the buffer's length is the target set's size).

        Returns:
            bool: Whether any parameter was re-created.
        """
        key = prefix + 'pseudo_labels'
        if key in state_dict and \
                state_dict[key].shape != self.pseudo_labels.shape:
            self.pseudo_labels = self.pseudo_labels.new_full(
                state_dict[key].shape, -1)
        changed = False
        if self.task != 'reid':
            return changed
        for net_name in self.net_names:
            net = getattr(self, net_name)
            for name, param in net.named_parameters():
                incoming = state_dict.get(f'{prefix}{net_name}.{name}')
                if incoming is not None and incoming.dim() == 2 and \
                        incoming.shape != param.shape:
                    net.reset_classifier(
                        param.new_zeros(incoming.shape))
                    changed = True
                    break
        self._freeze_mean_nets()
        return changed

    def _load_from_state_dict(self, state_dict, prefix, local_metadata,
                              strict, missing_keys, unexpected_keys,
                              error_msgs):
        self.adapt_to_state_dict(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, local_metadata,
                                      strict, missing_keys, unexpected_keys,
                                      error_msgs)

    # ------------------------------------------------------------------
    # pseudo labels and classifiers (used by ClusterPseudoLabelHook)
    # ------------------------------------------------------------------
    def set_pseudo_labels(self, labels: torch.Tensor) -> None:
        """Store the hard pseudo labels (-1 = outlier) of the target set."""
        labels = torch.as_tensor(labels, dtype=torch.long)
        if labels.dim() != 1:
            raise ValueError('pseudo labels must be 1-D, got shape '
                             f'{tuple(labels.shape)}')
        self.pseudo_labels = labels.to(self.pseudo_labels.device).clone()

    def reset_classifiers(self, centroids: torch.Tensor) -> None:
        """Re-initialise the classifiers of all four nets from the
        L2-normalised cluster centroids [C, D]."""
        centroids = F.normalize(centroids.float(), dim=1)
        for net in (*self.peers, *self.mean_nets):
            net.reset_classifier(centroids.clone())
        self._freeze_mean_nets()

    @torch.no_grad()
    def cluster_features(self, inputs: torch.Tensor) -> torch.Tensor:
        """Features of the target images for clustering: the average of the
        two mean nets' L2-normalised BN features, computed in eval mode (the
        authors' ``(cf_1 + cf_2) / 2`` of ``extract_features``)."""
        feats = []
        for net in self.mean_nets:
            was_training = net.training
            net.eval()
            feats.append(self._test_feature(net, inputs))
            net.train(was_training)
        return (feats[0] + feats[1]) / 2

    @staticmethod
    def _test_feature(net: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
        """A re-ID net's test feature: its L2-normalised BN feature."""
        return F.normalize(net(inputs, mode='tensor')['bn_feat'], dim=1)

    # ------------------------------------------------------------------
    # forward
    # ------------------------------------------------------------------
    def forward(self,
                inputs: Union[torch.Tensor, List[torch.Tensor]],
                data_samples: Optional[List[BaseDataElement]] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if isinstance(inputs, (list, tuple)):
            inputs = inputs[0]
        if mode == 'predict':
            return self.test_model(inputs, data_samples, mode='predict')
        if mode == 'tensor':
            return self.test_model(inputs, mode='tensor')
        raise RuntimeError(f'Invalid mode "{mode}". Only supports loss, '
                           'predict and tensor mode')

    @property
    def test_model(self) -> nn.Module:
        """The mean net used for inference (see ``test_net``)."""
        if self.test_net == 'mean1':
            return self.mean1
        if self.test_net == 'mean2':
            return self.mean2
        return self.mean_nets[int(self.best_mean)]

    def _target_labels(self, data_samples: List[BaseDataElement],
                       device: torch.device) -> torch.Tensor:
        if self.pseudo_labels.numel() == 0:
            raise RuntimeError(
                'MMT has no pseudo labels yet: add ClusterPseudoLabelHook to '
                'custom_hooks (it clusters the target set before training)')
        idx = []
        for sample in data_samples:
            if 'sample_idx' not in sample:
                raise KeyError(
                    f'data sample of {sample.get("img_path")} has no '
                    "'sample_idx' meta key; add it to PackInputs' meta_keys")
            i = int(sample.sample_idx)
            if not 0 <= i < len(self.pseudo_labels):
                raise IndexError(
                    f'sample_idx {i} ({sample.get("img_path")}) is outside '
                    f'the {len(self.pseudo_labels)} pseudo labels; the '
                    'train set is not the clustered target set')
            idx.append(i)
        idx = torch.tensor(idx, device=self.pseudo_labels.device)
        return self.pseudo_labels[idx].to(device)

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[BaseDataElement]) -> Dict[str, torch.Tensor]:
        """Run both peers and both mean nets on their views and assemble the
        losses (:meth:`_reid_mmt_loss`; segmentation:
        :meth:`_seg_mmt_loss`)."""
        if self.task == 'seg':
            return self._seg_mmt_loss(inputs, data_samples)
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise TypeError(
                'MMT.loss expects two augmented views [view1, view2] of the '
                "batch: wrap the train augmentation in dict(type='mmpretrain."
                "MultiView', num_views=2, transforms=[...]), use "
                "collate_fn=dict(type='default_collate') and "
                "data_preprocessor=dict(type='mmpretrain."
                "SelfSupDataPreprocessor', ...)")
        labels = self._target_labels(data_samples, inputs[0].device)
        peer_out = [
            peer(view, mode='tensor')
            for peer, view in zip(self.peers, inputs)
        ]
        with torch.no_grad():
            mean_out = [
                mean(view, mode='tensor')
                for mean, view in zip(self.mean_nets, inputs)
            ]
        return self._reid_mmt_loss(peer_out, mean_out, labels)

    def _reid_mmt_loss(self, peer_out: List[dict], mean_out: List[dict],
                       labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The re-ID loss terms of MMT; peer i learns from mean net j != i.

        Returns ``loss_{ce,soft_ce,tri,soft_tri}_{1,2}`` (already weighted
        by λ) and ``acc_{1,2}`` (top-1 accuracy on the pseudo labels).
        """
        valid = labels >= 0
        losses = dict()
        for i in range(self.num_peers):
            out, teacher = peer_out[i], mean_out[self.teacher_of(i)]
            tag = str(i + 1)
            # The triplet terms see the whole batch (outliers, label -1, are
            # ignored inside): under DDP they gather all ranks' features to
            # mine in the global batch, a collective every rank must join
            # even when its own share holds outliers only.
            losses[f'loss_tri_{tag}'] = (1 - self.lambda_tri) * \
                self.loss_tri(out['feat'], labels)
            losses[f'loss_soft_tri_{tag}'] = self.lambda_tri * \
                self.loss_soft_tri(out['feat'], teacher['feat'].detach(),
                                   labels)
            if not bool(valid.any()):
                # keep the graph connected (DDP) when a batch holds outliers
                # only
                zero = out['logits'].sum() * 0
                losses[f'loss_ce_{tag}'] = zero
                losses[f'loss_soft_ce_{tag}'] = zero
                continue
            logits = out['logits'][valid]
            t_logits = teacher['logits'][valid].detach()
            y = labels[valid]
            losses[f'loss_ce_{tag}'] = (1 - self.lambda_id) * self.loss_ce(
                logits, y)
            losses[f'loss_soft_ce_{tag}'] = self.lambda_id * \
                self.loss_soft_ce(logits, t_logits)
            with torch.no_grad():
                losses[f'acc_{tag}'] = (logits.argmax(1) == y).float().mean()
        return losses

    # ------------------------------------------------------------------
    # segmentation
    # ------------------------------------------------------------------
    def _build_seg(self, target_datasets, loss_seg_soft: dict,
                   loss_seg_hard: dict, pseudo_threshold: float,
                   class_balanced_portion: Optional[float],
                   view_augment: dict, aug_seed: int) -> None:
        head = getattr(self.peer1, 'decode_head', None)
        if not hasattr(head, 'forward_classifiers') or \
                not hasattr(head, 'tree'):
            raise TypeError(
                'MMT(task=\'seg\') needs a segmentor with a '
                f'HierarchicalDecodeHead, got decode_head '
                f'{type(head).__name__}')
        if isinstance(target_datasets, str):
            target_datasets = [target_datasets]
        if not target_datasets:
            raise ValueError('MMT(task=\'seg\') needs target_datasets: the '
                             'dataset_name(s) of the unlabelled target')
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
            self.class_balanced_portion)
        ignore = leaf == 255
        codes = head.leaf_node[leaf.clamp(max=head.num_classes - 1)]
        codes = codes.masked_fill(ignore, 255)
        return slot_probs, codes, thresholds

    def _seg_mmt_loss(self, inputs: torch.Tensor,
                      data_samples: List[BaseDataElement]
                      ) -> Dict[str, torch.Tensor]:
        """The segmentation loss terms of MMT (class docstring).

        Returns, for each peer i: ``loss_src_i`` (hierarchical loss on the
        source labels), ``loss_pseudo_i`` (hierarchical loss on the mean
        nets' pseudo labels, weighted 1-λ_id), ``loss_soft_i`` (soft
        hierarchical loss against mean net j, weighted λ_id), ``acc_src_i``;
        and ``pseudo_ratio`` (fraction of target pixels with a pseudo label).
        """
        if not isinstance(inputs, torch.Tensor):
            raise TypeError('MMT(task=\'seg\') expects one batch tensor from '
                            'SegDataPreProcessor, got '
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
            losses['pseudo_ratio'] = (codes != 255).float().mean()
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
