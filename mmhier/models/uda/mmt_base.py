# Copyright (c) mmhier contributors. All rights reserved.
"""What every Mutual Mean-Teaching model shares (Ge et al., "Mutual
Mean-Teaching: Pseudo Label Refinery for Unsupervised Domain Adaptation on
Person Re-identification", ICLR 2020): the peers, their mean nets and how
they pair up, the source checkpoint(s) of the peers, the target pseudo
labels and inference with a mean net. The task-specific losses live in
:class:`~mmhier.models.uda.ReIDMutualMeanTeaching` and
:class:`~mmhier.models.uda.SegMutualMeanTeaching`."""
import copy
import logging
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.runner.checkpoint import load_state_dict
from mmengine.structures import BaseDataElement

from mmhier.registry import MODELS
from mmhier.utils import load_checkpoint_file


class BaseMutualMeanTeaching(BaseModel):
    """Peers θ_1..θ_n and their mean nets E[θ_1]..E[θ_n], all built from ONE
    inner model config.

    ``peer<k>`` is trained; ``mean<k>`` is its temporal average, updated by
    :class:`~mmhier.engine.hooks.MeanNetHook` from the pairs of
    :meth:`mean_net_pairs`, and never gets gradients. With two peers, peer i
    is taught by the mean net of the OTHER peer (MMT); with one peer by its
    own mean net (the mean-teacher baseline), see :meth:`teacher_of`.

    **BN statistics.** The mean nets are run forward in train mode during
    training (the authors call ``model_ema.train()``), under ``no_grad``:
    their BatchNorm layers normalise with batch statistics and update their
    OWN running statistics; :class:`MeanNetHook` averages parameters only
    and never copies buffers.

    **Pseudo labels** live in the persistent buffer ``pseudo_labels``
    (LongTensor[N_target], -1 = outlier/unassigned), so they are saved in
    checkpoints and survive ``--resume``; :meth:`set_pseudo_labels` and
    :meth:`cluster_features` are the interface of
    :class:`~mmhier.engine.hooks.ClusterPseudoLabelHook`, together with the
    subclass's ``reset_classifiers``.

    **Inference** uses one mean net (``test_net``): ``'mean<k>'`` or
    ``'auto'``; ``'auto'`` uses the buffer ``best_mean`` (k - 1, saved in
    checkpoints), which ``MeanNetHook`` sets after each validation when it
    is given ``select_metric``. Without that it stays 0 (mean1).

    Args:
        model (dict): Config of the inner model.
        data_preprocessor (dict): Shared data preprocessor of all nets (the
            inner model's own one is not used).
        num_peers (int): 2 (MMT) or 1 (one peer + its mean net: the mean
            teacher baseline). Defaults to 2.
        peer_init (str | list[str], optional): Source-domain checkpoint(s)
            loaded into the peers by :meth:`init_weights`; the mean nets
            start as copies of the peers. One checkpoint per peer (two
            pre-training seeds, as in the paper) or one for all peers,
            which then differ only through their independent
            augmentations. Only the rows of the classifier (the module
            named ``classifier``) may differ (source identities vs. target
            clusters): they are skipped and the clustering hook
            re-initialises them. Defaults to None.
        peer_init_strict (bool): Any other difference between a
            ``peer_init`` checkpoint and the inner model (a missing or
            unexpected key, another shape, e.g. a pruned source model) is an
            error naming the key. False loads what fits and logs, as a
            warning, every key it skipped. Defaults to True.
        test_net (str): ``'mean1'``, ``'mean2'`` (two peers) or ``'auto'``.
            Defaults to ``'auto'``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 model: dict,
                 data_preprocessor: dict,
                 num_peers: int = 2,
                 peer_init: Optional[Union[str, Sequence[str]]] = None,
                 peer_init_strict: bool = True,
                 test_net: str = 'auto',
                 init_cfg: Optional[dict] = None):
        if num_peers not in (1, 2):
            raise ValueError(f'num_peers must be 1 or 2, got {num_peers}')
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.num_peers = num_peers
        test_nets = [f'mean{k}' for k in range(1, num_peers + 1)] + ['auto']
        if test_net not in test_nets:
            raise ValueError(f'test_net must be one of {test_nets} with '
                             f'num_peers={num_peers}, got {test_net!r}')
        if isinstance(peer_init, str):
            peer_init = [peer_init]
        if peer_init is not None and len(peer_init) not in (1, num_peers):
            raise ValueError(f'peer_init takes 1 or {num_peers} '
                             f'checkpoint(s), got {len(peer_init)}')
        self.peer_init = list(peer_init) if peer_init else None
        self.peer_init_strict = peer_init_strict
        self.test_net = test_net

        # all peers first, then the mean nets: the registration order fixes
        # the parameter order of the optimizer (and of its checkpoints)
        for peer_name, _ in self.mean_net_pairs():
            setattr(self, peer_name, MODELS.build(copy.deepcopy(model)))
        for peer_name, mean_name in self.mean_net_pairs():
            setattr(self, mean_name, copy.deepcopy(getattr(self, peer_name)))
        self._freeze_mean_nets()

        self.register_buffer('pseudo_labels',
                             torch.zeros(0, dtype=torch.long))
        self.register_buffer('best_mean', torch.tensor(0, dtype=torch.long))

    # ------------------------------------------------------------------
    # nets and their pairing
    # ------------------------------------------------------------------
    def mean_net_pairs(self) -> List[Tuple[str, str]]:
        """(peer, mean net) attribute names: ``[('peer1', 'mean1'), ...]``,
        one pair per peer. :class:`MeanNetHook` averages each peer into its
        mean net."""
        return [(f'peer{k}', f'mean{k}')
                for k in range(1, self.num_peers + 1)]

    @property
    def peers(self) -> List[nn.Module]:
        return [getattr(self, peer) for peer, _ in self.mean_net_pairs()]

    @property
    def mean_nets(self) -> List[nn.Module]:
        return [getattr(self, mean) for _, mean in self.mean_net_pairs()]

    @property
    def net_names(self) -> List[str]:
        pairs = self.mean_net_pairs()
        return [peer for peer, _ in pairs] + [mean for _, mean in pairs]

    def teacher_of(self, i: int) -> int:
        """Index of the mean net that supervises peer ``i``: the OTHER
        peer's (MMT), or its own with one peer (mean teacher)."""
        return 1 - i if self.num_peers == 2 else i

    def _freeze_mean_nets(self) -> None:
        for net in self.mean_nets:
            net.requires_grad_(False)

    # ------------------------------------------------------------------
    # weights and checkpoints
    # ------------------------------------------------------------------
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
        """Resize ``pseudo_labels`` to its shape in ``state_dict`` before it
        is loaded (the buffer's length is the target set's size).
        Subclasses resize what else may change shape.

        Returns:
            bool: Whether any parameter was re-created.
        """
        key = prefix + 'pseudo_labels'
        if key in state_dict and \
                state_dict[key].shape != self.pseudo_labels.shape:
            self.pseudo_labels = self.pseudo_labels.new_full(
                state_dict[key].shape, -1)
        return False

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
    @property
    def loss_ready(self) -> bool:
        """Whether :meth:`loss` can be computed now. True here; re-ID MMT's
        loss needs the clustering's pseudo labels (see
        :class:`~mmhier.models.uda.ReIDMutualMeanTeaching`)."""
        return True

    def set_pseudo_labels(self, labels: torch.Tensor) -> None:
        """Store the hard pseudo labels (-1 = outlier) of the target set."""
        labels = torch.as_tensor(labels, dtype=torch.long)
        if labels.dim() != 1:
            raise ValueError('pseudo labels must be 1-D, got shape '
                             f'{tuple(labels.shape)}')
        self.pseudo_labels = labels.to(self.pseudo_labels.device).clone()

    @torch.no_grad()
    def cluster_features(self, inputs: torch.Tensor) -> torch.Tensor:
        """Features of the target images for clustering: the average over
        the mean nets of their test features (:meth:`test_feature`),
        computed in eval mode (the authors' ``(cf_1 + cf_2) / 2`` of
        ``extract_features``; with one peer, its mean net's feature)."""
        feats = []
        for net in self.mean_nets:
            was_training = net.training
            net.eval()
            feats.append(self.test_feature(net, inputs))
            net.train(was_training)
        return torch.stack(feats).mean(0)

    def test_feature(self, net: nn.Module,
                     inputs: torch.Tensor) -> torch.Tensor:
        """One net's feature of ``inputs`` for clustering."""
        raise NotImplementedError(
            f'{type(self).__name__} has no clustering features')

    def reset_classifiers(self, centroids: torch.Tensor) -> None:
        """Re-initialise the classifiers of all nets from cluster
        centroids [C, D]."""
        raise NotImplementedError(
            f'{type(self).__name__} has no cluster classifiers')

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

    def loss(self, inputs, data_samples: List[BaseDataElement]) -> dict:
        """The training losses of the peers (task-specific)."""
        raise NotImplementedError

    @property
    def test_model(self) -> nn.Module:
        """The mean net used for inference (see ``test_net``)."""
        if self.test_net == 'auto':
            return self.mean_nets[int(self.best_mean)]
        return getattr(self, self.test_net)
