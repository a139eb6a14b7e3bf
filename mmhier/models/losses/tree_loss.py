# Copyright (c) mmhier contributors. All rights reserved.
r"""What the hierarchical losses read from the label tree.

The hierarchical loss of Meletis & Dubbelman ("Training of Convolutional
Networks on Multiple Heterogeneous Datasets for Street Scene Semantic
Segmentation", IEEE IV 2018, Sec. III-D) and its soft form for Mutual
Mean-Teaching (Ge et al., ICLR 2020) both sum one term per classifier
(internal node) :math:`j` of the tree,

.. math::

    L = \sum_j \lambda_j L_j,

and both take from the tree the classifiers (sizes, BFS order, parent
classifier and slot), the weights :math:`\lambda_j` and the per-dataset
classifier switches. :class:`TreeBoundLoss` owns that part; a subclass adds
its own tables in :meth:`TreeBoundLoss._bind_tables` and its loss in
``forward``.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
from torch import Tensor

from mmhier.taxonomy import LabelTree


class TreeBoundLoss(nn.Module):
    """Base of the losses with one term per classifier of a label tree.

    The tree is bound once, by :meth:`bind_taxonomy`: from the loss's own
    ``taxonomy`` argument (a subclass calls :meth:`_bind_given` at the end of
    its ``__init__``) or by the module that owns the loss
    (:class:`~mmhier.models.heads.HierarchicalDecodeHead`, the MMT
    segmentor), so that a config names the tree once. Binding a second tree
    only checks that its nodes are the same.

    After binding the loss has:

    * ``classifier_weights``: :math:`\\lambda_j` per classifier;
    * ``classifier_sizes``, ``parent_classifier``, ``parent_slot``: the
      classifiers in BFS order, the classifier deciding each one's node and
      the node's slot there (-1 for the root);
    * ``dataset_masks``: ``{dataset: bool [J]}`` for the datasets whose spec
      switches classifiers off (``skip_classifiers``), read by
      :meth:`image_mask`;
    * ``keys``: the logged names ``<loss_name>.<classifier>``.

    The weights are the tree's: its file states ``level_weights`` (the paper's
    1.0 / 0.1 / 0.1) and optional ``node_weights``, resolved per classifier
    into ``LabelTree.classifier_loss_weights``. The loss's own
    ``node_weights`` only overrides single classifiers (an ablation config
    changes one weight without a second tree file).

    Args:
        node_weights (dict[str, float], optional): Per classifier (internal
            node name) override of the tree's weight.
        loss_weight (float): Global factor. Defaults to 1.0.
        loss_name (str): Prefix of the logged keys; must start with
            ``loss_`` (MMEngine back-propagates those). Defaults to
            ``'loss_hier'``.
    """

    def __init__(self,
                 node_weights: Optional[Dict[str, float]] = None,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_hier') -> None:
        super().__init__()
        if not loss_name.startswith('loss_'):
            raise ValueError(f"loss_name must start with 'loss_' to be "
                             f'back-propagated, got {loss_name!r}')
        self.node_weights = dict(node_weights or {})
        self.loss_weight = loss_weight
        self._loss_name = loss_name
        self.tree: Optional[LabelTree] = None

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def _bind_given(self, taxonomy) -> None:
        """Bind ``taxonomy`` (path, dict or tree) now when it is given; a
        subclass calls this last in its ``__init__``."""
        if taxonomy is not None:
            self.bind_taxonomy(LabelTree.build(taxonomy))

    def bind_taxonomy(self, tree: LabelTree) -> None:
        """Read the classifiers, their weights and the per-dataset switches
        of ``tree``, then the subclass's tables (:meth:`_bind_tables`)."""
        cls_name = type(self).__name__
        if self.tree is not None:
            if list(self.tree.node_names) != list(tree.node_names):
                raise ValueError(f'{cls_name} taxonomy differs from the one '
                                 'it is bound to (node names differ)')
            return
        names = list(tree.classifier_names)
        unknown = sorted(set(self.node_weights) - set(names))
        if unknown:
            raise KeyError(f'{cls_name} node_weights names {unknown}, not '
                           f'classifiers of the taxonomy: {names}')
        self.classifier_weights = self._classifier_weights(tree)
        self.classifier_sizes = [int(k) for k in tree.classifier_sizes]
        self.parent_classifier = [int(j) for j in tree.classifier_parent]
        self.parent_slot = [int(s) for s in tree.classifier_parent_slot]
        masks = {
            ds: np.asarray(tree.dataset_classifier_mask(ds), bool).copy()
            for ds in getattr(tree, 'dataset_names', [])
        }
        self.dataset_masks = {ds: m for ds, m in masks.items() if not m.all()}
        self.keys = [
            f'{self._loss_name}.{name.replace(" ", "_")}' for name in names
        ]
        self._bind_tables(tree)
        self.tree = tree

    def _classifier_weights(self, tree: LabelTree) -> List[float]:
        """:math:`\\lambda_j`: the tree's, overridden by ``node_weights``."""
        return [
            float(self.node_weights.get(name, w)) for name, w in zip(
                tree.classifier_names, tree.classifier_loss_weights)
        ]

    def _bind_tables(self, tree: LabelTree) -> None:
        """Hook: compile the subclass's own tables of ``tree``."""

    def _check_bound(self) -> None:
        if self.tree is None:
            raise RuntimeError(
                f'{type(self).__name__} has no taxonomy: pass taxonomy= or '
                'bind it (HierarchicalDecodeHead and the MMT segmentor bind '
                'their tree)')

    def image_mask(self, dataset_names: Optional[Sequence[Optional[str]]],
                   device=None) -> Optional[Tensor]:
        """``[B, J]`` bool, False where image ``b``'s dataset switches
        classifier ``j`` off; None when no dataset switches any.

        Raises:
            KeyError: if some dataset switches classifiers off and an image
                has no dataset name.
        """
        if not self.dataset_masks:
            return None
        if dataset_names is None or any(n is None for n in dataset_names):
            raise KeyError(
                f'{type(self).__name__} has per-dataset classifier switches '
                f'({sorted(self.dataset_masks)}) but a data sample has no '
                "metainfo['dataset_name']")
        ones = np.ones(len(self.classifier_sizes), bool)
        mask = np.stack(
            [self.dataset_masks.get(ds, ones) for ds in dataset_names])
        return torch.from_numpy(mask).to(device)
