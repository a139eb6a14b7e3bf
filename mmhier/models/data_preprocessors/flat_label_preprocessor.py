# Copyright (c) mmhier contributors. All rights reserved.
"""Node-space labels -> flat class indices, for the flat baseline.

The flat baseline (Meletis & Dubbelman, IV 2018, Sec. V-C) is a stock mmseg
head over the tree's leaves (optionally plus a few internal nodes as extra
"coarse" classes, the paper's flat union of label spaces). Datasets always
deliver node-space codes (``mmhier/taxonomy/encoding.py``); this
pre-processor converts them **in training only**, so every mmseg head, loss
and ``acc_seg`` see flat indices while validation keeps node-space labels for
:class:`~mmhier.evaluation.HierIoUMetric` (give it the same
``flat_coarse_nodes``).

Mapping (:func:`flat_label_lut`):

* per-pixel leaf code -> leaf index;
* per-pixel internal node listed in ``coarse_nodes`` -> ``num_leaves + k``;
  any other internal node (coarse label) -> ignore;
* weak (box-derived) code: ``weak='node'`` (default) maps it like the
  per-pixel code of its node -- the paper's flat baseline trains on the box
  filled with the class (the paper fills the sign's shape; the datasets
  decide what the weak mask covers); ``weak='ignore'`` drops it;
* ``unlabeled=True``: every ignored pixel becomes one more class, the last
  (``num_leaves + len(coarse_nodes)``). This is the paper's single-dataset
  GTSDB baseline, which "does not converge" on the few sign pixels per image
  without it (Sec. V-C, Table II): the background of a GTSDB image is
  trained as "unlabeled". Only for datasets where ignore means "none of the
  classes" (GTSDB's box-only images; not padding of other datasets).
"""
from typing import Sequence

import numpy as np
import torch
from mmseg.models.data_preprocessor import SegDataPreProcessor

from mmhier.registry import MODELS
from mmhier.taxonomy import LabelTree


def flat_label_lut(tree,
                   coarse_nodes: Sequence[str] = (),
                   weak: str = 'node',
                   ignore_index: int = 255,
                   unlabeled: bool = False) -> np.ndarray:
    """``[256]`` int64 table: node-space code -> flat class index.

    Args:
        tree (LabelTree): The taxonomy.
        coarse_nodes (Sequence[str]): Internal nodes kept as extra classes
            ``num_leaves + k``.
        weak (str): ``'node'`` or ``'ignore'`` for box-derived codes.
        ignore_index (int): Value of unmapped codes. Defaults to 255.
        unlabeled (bool): Map unmapped codes (ignore) to the extra class
            ``num_leaves + len(coarse_nodes)`` instead. Defaults to False.
    """
    if weak not in ('node', 'ignore'):
        raise ValueError(f"weak must be 'node' or 'ignore', got {weak!r}")
    leaf = tree.code_to_leaf(weak=weak == 'node')
    lut = np.where(leaf >= 0, leaf, ignore_index).astype(np.int64)
    code_to_node = np.asarray(tree.code_to_node)
    code_kept = ~np.asarray(tree.code_is_weak, bool) if weak == 'ignore' \
        else np.ones(len(code_to_node), bool)
    for k, name in enumerate(coarse_nodes):
        node = tree.node_id(name)
        if tree.is_leaf(node):
            raise ValueError(f'coarse_nodes: {name!r} is a leaf of '
                             f'{tree.source}')
        lut[(code_to_node == node) & code_kept] = tree.num_leaves + k
    if unlabeled:
        lut[lut == ignore_index] = tree.num_leaves + len(coarse_nodes)
    return lut


@MODELS.register_module()
class FlatLabelSegDataPreProcessor(SegDataPreProcessor):
    """``SegDataPreProcessor`` that maps node-space training labels to flat
    class indices with :func:`flat_label_lut`.

    Args:
        taxonomy (str | dict | LabelTree): The tree.
        coarse_nodes (Sequence[str]): Extra flat classes, see
            :func:`flat_label_lut`.
        weak (str): ``'node'`` or ``'ignore'``.
        unlabeled (bool): Train ignored pixels as an extra last class, see
            :func:`flat_label_lut`. Defaults to False.
        **kwargs: ``SegDataPreProcessor`` arguments.
    """

    def __init__(self,
                 taxonomy,
                 coarse_nodes: Sequence[str] = (),
                 weak: str = 'node',
                 unlabeled: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        tree = LabelTree.build(taxonomy)
        self.num_flat_classes = tree.num_leaves + len(coarse_nodes) + int(
            unlabeled)
        self.register_buffer(
            'flat_lut',
            torch.from_numpy(
                flat_label_lut(tree, coarse_nodes, weak, self.seg_pad_val,
                               unlabeled)),
            persistent=False)

    def forward(self, data: dict, training: bool = False) -> dict:
        data = super().forward(data, training)
        if training:
            for sample in data['data_samples']:
                seg = sample.gt_sem_seg.data
                sample.gt_sem_seg.data = self.flat_lut.to(seg.device)[
                    seg.long()].to(seg.dtype)
        return data
