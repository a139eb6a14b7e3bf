# Copyright (c) mmhier contributors. All rights reserved.
"""Mutual Mean-Teaching for person re-identification (Ge et al., ICLR
2020) as an MMEngine model."""
import copy
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.structures import BaseDataElement

from mmhier.models.reid.reid_model import IMAGENET_PREPROCESSOR
from mmhier.registry import MODELS
from .mmt_base import BaseMutualMeanTeaching

#: ImageNet normalisation of one tensor or a list of views (BGR -> RGB).
MULTIVIEW_PREPROCESSOR = dict(
    IMAGENET_PREPROCESSOR, type='mmpretrain.SelfSupDataPreprocessor')


# 'MMT' is the name the shipped re-ID configs (and users' configs) use.
@MODELS.register_module(name=['ReIDMutualMeanTeaching', 'MMT'])
class ReIDMutualMeanTeaching(BaseMutualMeanTeaching):
    """Mutual Mean-Teaching for re-ID: two peer networks and their two mean
    networks (:class:`BaseMutualMeanTeaching`).

    `Mutual Mean-Teaching: Pseudo Label Refinery for Unsupervised Domain
    Adaptation on Person Re-identification
    <https://arxiv.org/abs/2001.01526>`_ (authors' code: yxgeee/MMT).

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
    ``RandomErasing``) unchanged and runs in the dataloader workers. As in
    the authors' code, mean net j is run on view j (``model_2_ema(inputs_2)``).

    **Pseudo labels.** ``loss()`` replaces every sample's label with
    ``pseudo_labels[sample_idx]`` and drops samples labelled -1 from the
    identity terms (the triplet terms ignore them when mining; the soft
    softmax-triplet term mines its triplets with the hard labels). The
    clustering features are the mean nets' averaged L2-normalised BN
    features; ``MeanNetHook(select_metric=...)`` picks the better mean net
    for inference, as the authors evaluate both every epoch.

    Inner model contract (``ReIDModel``): ``net(inputs, mode='tensor')``
    returns ``dict(feat=<pre-BN>, bn_feat=<BN>, logits=<classifier>)``,
    ``mode='predict'`` returns data samples, and
    ``net.reset_classifier(centroids)`` re-creates the classifier.

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
        lambda_id (float): λ_id, the weight of the soft identity term
            against the hard one. Defaults to 0.5 (authors).
        lambda_tri (float): λ_tri. Defaults to 0.8 (authors'
            ``--soft-tri-weight``).
        data_preprocessor (dict, optional): Shared data preprocessor of all
            nets. None: ``mmpretrain.SelfSupDataPreprocessor`` with ImageNet
            mean/std and BGR -> RGB (it must accept a list of views).
        **kwargs: ``num_peers``, ``peer_init``, ``peer_init_strict``,
            ``test_net``, ``init_cfg`` of :class:`BaseMutualMeanTeaching`.
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
                 data_preprocessor: Optional[dict] = None,
                 **kwargs):
        if not (0 <= lambda_id <= 1 and 0 <= lambda_tri <= 1):
            raise ValueError('lambda_id and lambda_tri must be in [0, 1], got '
                             f'{lambda_id} and {lambda_tri}')
        super().__init__(
            model,
            data_preprocessor=copy.deepcopy(
                data_preprocessor or MULTIVIEW_PREPROCESSOR),
            **kwargs)
        if not hasattr(self.peer1, 'reset_classifier'):
            raise TypeError(
                f'the inner model {type(self.peer1).__name__} has no '
                'reset_classifier(centroids); re-ID MMT needs it (for a '
                "segmentor use type='SegMutualMeanTeaching')")
        self.lambda_id = lambda_id
        self.lambda_tri = lambda_tri
        self.loss_ce = MODELS.build(loss_ce)
        self.loss_soft_ce = MODELS.build(loss_soft_ce)
        self.loss_tri = MODELS.build(loss_tri)
        self.loss_soft_tri = MODELS.build(loss_soft_tri)

    # ------------------------------------------------------------------
    # classifiers and clustering (used by ClusterPseudoLabelHook)
    # ------------------------------------------------------------------
    def adapt_to_state_dict(self, state_dict: dict, prefix: str = '') -> bool:
        """Also resize the classifiers to the shapes in ``state_dict``
        (DBSCAN changes the number of clusters)."""
        changed = super().adapt_to_state_dict(state_dict, prefix)
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

    @property
    def loss_ready(self) -> bool:
        """False before the first clustering: the loss needs the pseudo
        labels (e.g. :class:`~mmhier.engine.hooks.PruningHook` waits for
        them before a Taylor importance pass)."""
        return self.pseudo_labels.numel() > 0

    def reset_classifiers(self, centroids: torch.Tensor) -> None:
        """Re-initialise the classifiers of all nets from the
        L2-normalised cluster centroids [C, D]."""
        centroids = F.normalize(centroids.float(), dim=1)
        for net in (*self.peers, *self.mean_nets):
            net.reset_classifier(centroids.clone())
        self._freeze_mean_nets()

    def test_feature(self, net: nn.Module,
                     inputs: torch.Tensor) -> torch.Tensor:
        """A re-ID net's test feature: its L2-normalised BN feature."""
        return F.normalize(net(inputs, mode='tensor')['bn_feat'], dim=1)

    # ------------------------------------------------------------------
    # loss
    # ------------------------------------------------------------------
    def _target_labels(self, data_samples: List[BaseDataElement],
                       device: torch.device) -> torch.Tensor:
        if not self.loss_ready:
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
        """Run each peer and each mean net on its view and assemble the
        losses (:meth:`_reid_mmt_loss`)."""
        # one view per peer (a second view is allowed, and unused, with
        # one peer, so that its pipeline may match MMT's)
        if not isinstance(inputs, (list, tuple)) or \
                not self.num_peers <= len(inputs) <= 2:
            raise TypeError(
                f'MMT.loss expects {self.num_peers} augmented view(s) of the '
                "batch: wrap the train augmentation in dict(type='mmpretrain."
                f"MultiView', num_views={self.num_peers}, transforms=[...]), "
                "use collate_fn=dict(type='default_collate') and "
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
