# Copyright (c) mmhier contributors. All rights reserved.
"""Evaluation of leaf predictions against node-space labels on a label tree.

Scores (all in percent, mmseg conventions: ``IoU = TP / (TP + FP + FN)``,
``Acc`` = per-class recall ``TP / (TP + FN)``, means are ``nanmean`` over
classes):

* **per leaf**: IoU / Acc of every leaf on pixels labelled with a leaf;
  ``mIoU``, ``mPA`` (mean pixel accuracy = mean per-class recall, the
  paper's metric) and ``aAcc``.
* **per level** ``L1, L2, ...``: the node decided at tree level ``d``
  against the level-``d`` ancestor of the label, on pixels labelled at or
  below level ``d``. The decided node is each classifier's *own* decision
  (the paper's greedy walk, Sec. III-C, run on the leaf log-probabilities in
  ``seg_logits``; ``level_decision='greedy'``), or the level-``d`` ancestor
  of the predicted leaf (``'prediction'``; the same under the greedy rule,
  not under the soft one). This is the end-to-end accuracy of the level-``d``
  decision (an error at a higher level is an error here too). A coarse
  label (internal node ``n``) counts at the levels down to ``n``'s.
* ``L<d>.given_path``: accuracy of the level-``d`` decision on the pixels
  whose decisions above level ``d`` are all right (e.g. ``L3.given_path``:
  the sign classifier's accuracy on pixels the root and ``traffic sign``
  classifiers routed correctly).
* ``hAcc``: pixel accuracy over every labelled pixel where a pixel labelled
  with node ``n`` is correct iff the predicted leaf lies under ``n`` (so a
  coarse label accepts any of its leaves).
* **per dataset class** when ``dataset_name`` is given: predictions and
  labels are projected into the dataset's own evaluation classes with
  ``LabelTree.node_to_dataset`` / ``code_to_dataset`` (nearest evaluated
  ancestor-or-self), giving that dataset's IoU / Acc / mIoU / mPA / aAcc.

Flat baselines (paper Sec. V-B/C): a flat model may have extra output
classes after the leaves that stand for internal nodes (``flat_coarse_nodes``,
e.g. ``traffic sign`` next to its sub-classes). With ``fair_protocol=True`` a
pixel predicted as such a coarse class whose second most likely class is the
labelled leaf counts as that leaf (the paper's fair comparison protocol).
"""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.logging import MMLogger, print_log
from mmseg.evaluation.metrics import IoUMetric
from prettytable import PrettyTable
from torch import Tensor

from mmhier.registry import METRICS
from mmhier.taxonomy import IGNORE_INDEX, LabelTree
from mmhier.taxonomy.decision import greedy_decision


def confusion_matrix(gt: Tensor, pred: Tensor, num_rows: int,
                     num_cols: int) -> Tensor:
    """Counts of ``(gt, pred)`` pairs; entries with ``gt < 0`` are skipped.

    Args:
        gt (Tensor): long labels in ``[0, num_rows)`` or negative (ignore).
        pred (Tensor): long predictions in ``[0, num_cols)``.

    Returns:
        Tensor: ``[num_rows, num_cols]`` int64.
    """
    keep = gt >= 0
    idx = gt[keep] * num_cols + pred[keep]
    return torch.bincount(
        idx, minlength=num_rows * num_cols).reshape(num_rows, num_cols)


def hier_confusion(pred_node: Tensor, gt_node: Tensor,
                   level_table: Tensor, node_level: Tensor,
                   node_leaf_index: Tensor, num_leaves: int,
                   pred_levels: Optional[Tensor] = None) -> dict:
    """Confusion statistics of one prediction on the tree.

    Args:
        pred_node (Tensor): long, predicted node per pixel (a leaf, or an
            internal node for a flat model's coarse class).
        gt_node (Tensor): long, labelled node per pixel, -1 = ignore.
        level_table (Tensor): ``[N, D]`` from
            :meth:`LabelTree.level_ancestor_table`.
        node_level (Tensor): ``[N]`` level of each node (root 0).
        node_leaf_index (Tensor): ``[N]`` leaf index, -1 for internal nodes.
        num_leaves (int): ``L``.
        pred_levels (Tensor, optional): ``[D, ...]`` node decided at each
            level (-1 below the decided leaf), e.g. each classifier's own
            greedy decision; None takes the ancestors of ``pred_node``.

    Returns:
        dict: ``cond`` ``[D, 2]``: pixels whose level-``d`` decision is
        right among those labelled at level ``d`` whose decisions above it
        are all right, and that count; ``level`` ``[D, N, N + 1]`` (rows:
        labelled level-``d``
        ancestor, columns: predicted level-``d`` ancestor, column ``N`` =
        prediction above level ``d``), ``leaf`` ``[L, L + 1]`` (column ``L``
        = non-leaf prediction), ``hier_correct`` / ``hier_total`` (0-dim).
    """
    num_nodes, depth = level_table.shape
    gt_node, pred_node = gt_node.reshape(-1), pred_node.reshape(-1)
    valid = gt_node >= 0
    gt_node, pred_node = gt_node[valid], pred_node[valid]
    if pred_levels is not None:
        pred_levels = pred_levels.reshape(depth, -1)[:, valid]
    levels = []
    for d in range(depth):
        g = level_table[gt_node, d]
        p = level_table[pred_node, d] if pred_levels is None \
            else pred_levels[d]
        p = torch.where(p < 0, torch.full_like(p, num_nodes), p)
        levels.append(confusion_matrix(g, p, num_nodes, num_nodes + 1))
    # level d given levels < d right: [D, 2] (right, routed correctly)
    cond = torch.zeros(depth, 2, dtype=torch.long)
    path_ok = torch.ones_like(gt_node, dtype=torch.bool)
    for d in range(depth):
        g = level_table[gt_node, d]
        p = level_table[pred_node, d] if pred_levels is None \
            else pred_levels[d]
        here = path_ok & (g >= 0)
        right = here & (p == g)
        cond[d, 0], cond[d, 1] = right.sum(), here.sum()
        path_ok = path_ok & (p == g)
    g_leaf = node_leaf_index[gt_node]
    p_leaf = node_leaf_index[pred_node]
    p_leaf = torch.where(p_leaf < 0, torch.full_like(p_leaf, num_leaves),
                         p_leaf)
    # correct iff the label node is an ancestor-or-self of the prediction
    gt_level = node_level[gt_node]
    anc = level_table[pred_node, (gt_level - 1).clamp(min=0)]
    correct = (anc == gt_node) & (gt_level > 0)
    return dict(
        level=torch.stack(levels),
        cond=cond,
        leaf=confusion_matrix(g_leaf, p_leaf, num_leaves, num_leaves + 1),
        hier_correct=correct.sum(),
        hier_total=torch.tensor(int(gt_node.numel())))


def _nanmean(values: np.ndarray) -> float:
    """Mean over the non-nan entries; nan (without a warning) if none."""
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float('nan')


def scores_from_confusion(conf: Tensor) -> Dict[str, np.ndarray]:
    """mmseg's ``aAcc`` / ``IoU`` / ``Acc`` from a ``[K, K + e]`` confusion
    (rows = label, columns = prediction; extra columns are predictions
    outside the ``K`` classes, always wrong)."""
    conf = conf.double()
    k = conf.shape[0]
    intersect = conf.diagonal()
    label = conf.sum(1)
    pred = conf[:, :k].sum(0)
    union = label + pred - intersect
    return dict(
        aAcc=(intersect.sum() / label.sum()).numpy(),
        IoU=(intersect / union).numpy(),
        Acc=(intersect / label).numpy())


@METRICS.register_module()
class HierIoUMetric(IoUMetric):
    """Per-level, per-leaf and per-dataset IoU / mPA on a label tree.

    Reads ``pred_sem_seg`` (leaf indices, as produced by ``EncoderDecoder``
    with a :class:`~mmhier.models.heads.HierarchicalDecodeHead` or a flat
    head over the leaves) and ``gt_sem_seg`` in node-space codes (see
    ``mmhier/taxonomy/encoding.py``). See the module docstring for the
    definitions.

    Args:
        taxonomy (str | dict | LabelTree): The tree.
        dataset_name (str, optional): Also score in this dataset's own
            classes; samples whose ``metainfo['dataset_name']`` names another
            dataset are skipped. Defaults to None.
        weak_labels (str): ``'node'`` scores box-derived pixels as labels of
            their node, ``'ignore'`` skips them. Defaults to ``'node'``.
        flat_coarse_nodes (Sequence[str]): Internal nodes a flat model
            predicts as extra classes ``num_leaves, num_leaves + 1, ...``.
        fair_protocol (bool): The paper's fair protocol for flat models (needs
            ``seg_logits`` in the data samples). Defaults to False.
        level_decision (str): Where the per-level decisions come from:
            ``'greedy'`` (each classifier's own decision, from
            ``seg_logits``), ``'prediction'`` (ancestors of the predicted
            leaf) or ``'auto'``: greedy when ``seg_logits`` has one channel
            per leaf (a hierarchical model, or a flat one without coarse
            classes), else the prediction. Defaults to ``'auto'``.
        **kwargs: :class:`IoUMetric` arguments (``collect_device``,
            ``prefix``, ...).
    """

    def __init__(self,
                 taxonomy,
                 dataset_name: Optional[str] = None,
                 weak_labels: str = 'node',
                 flat_coarse_nodes: Sequence[str] = (),
                 fair_protocol: bool = False,
                 level_decision: str = 'auto',
                 recall_nodes: Sequence[str] = (),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        tree = LabelTree.build(taxonomy)
        if level_decision not in ('auto', 'greedy', 'prediction'):
            raise ValueError("level_decision must be 'auto', 'greedy' or "
                             f"'prediction', got {level_decision!r}")
        self.level_decision = level_decision
        for name in recall_nodes:
            tree.node_id(name)  # raises for an unknown node
        self.recall_nodes = list(recall_nodes)
        self.decision_tables = {
            k: torch.as_tensor(v)
            for k, v in tree.decision_tables().items()
        }
        if weak_labels not in ('node', 'ignore'):
            raise ValueError("weak_labels must be 'node' or 'ignore', got "
                             f'{weak_labels!r}')
        if dataset_name is not None and dataset_name not in \
                tree.dataset_names:
            raise KeyError(f'HierIoUMetric: dataset {dataset_name!r} is not '
                           f'in the taxonomy ({tree.dataset_names})')
        coarse = []
        for name in flat_coarse_nodes:
            node = tree.node_id(name)
            if tree.is_leaf(node):
                raise ValueError(f'flat_coarse_nodes: {name!r} is a leaf')
            coarse.append(node)
        if fair_protocol and not coarse:
            raise ValueError('fair_protocol needs flat_coarse_nodes (the '
                             'coarse classes the flat model predicts)')
        self.tree = tree
        self.dataset_name = dataset_name
        self.fair_protocol = fair_protocol
        self.num_coarse = len(coarse)
        code_to_node = np.asarray(tree.code_to_node, np.int64).copy()
        if weak_labels == 'ignore':
            code_to_node[np.asarray(tree.code_is_weak, bool)] = -1
        self.code_to_node = torch.from_numpy(code_to_node)
        # prediction index (leaf, then flat coarse classes) -> node
        self.pred_to_node = torch.from_numpy(tree.prediction_nodes(coarse))
        self.coarse_leaf_mask = torch.zeros(
            len(coarse), tree.num_leaves, dtype=torch.bool)
        for k, node in enumerate(coarse):
            self.coarse_leaf_mask[k, tree.leaves_under(node)] = True
        self.level_table = torch.from_numpy(tree.level_ancestor_table())
        self.node_level = torch.as_tensor(np.asarray(tree.level),
                                          dtype=torch.long)
        self.node_leaf_index = torch.as_tensor(
            np.asarray(tree.leaf_index), dtype=torch.long)
        if dataset_name is not None:
            self.dataset_classes = tree.dataset_eval_classes(dataset_name)
            self.node_to_dataset = torch.as_tensor(
                tree.node_to_dataset(dataset_name).astype(np.int64))
            self.code_to_dataset = torch.as_tensor(
                tree.code_to_dataset(dataset_name).astype(np.int64))
            if weak_labels == 'ignore':
                self.code_to_dataset[torch.from_numpy(
                    np.asarray(tree.code_is_weak, bool))] = IGNORE_INDEX

    def fair_prediction(self, seg_logits: Tensor) -> Tensor:
        """Paper's fair protocol: a pixel predicted as a coarse class whose
        second choice is a leaf under it is credited with that leaf (it can
        only turn a coarse prediction into the right leaf when the label is
        that leaf, so every other label is unaffected)."""
        top2 = seg_logits.topk(2, dim=0).indices
        first, second = top2[0], top2[1]
        num_leaves = self.tree.num_leaves
        is_coarse = first >= num_leaves
        k = (first - num_leaves).clamp(min=0, max=self.num_coarse - 1)
        second_under = self.coarse_leaf_mask[k, second.clamp(
            max=num_leaves - 1)] & (second < num_leaves)
        return torch.where(is_coarse & second_under, second, first)

    def own_levels(self, sample: dict) -> Optional[Tensor]:
        """``[D, H, W]`` greedy per-level decisions from the sample's
        ``seg_logits``, or None when ``level_decision`` says to use the
        predicted leaf."""
        logits = sample.get('seg_logits', {}).get('data')
        if self.level_decision == 'prediction':
            return None
        if logits is None or logits.shape[0] != self.tree.num_leaves:
            if self.level_decision == 'greedy':
                raise ValueError(
                    "HierIoUMetric(level_decision='greedy') needs seg_logits "
                    f'with one channel per leaf ({self.tree.num_leaves}), '
                    'got ' + ('none' if logits is None else
                              f'{logits.shape[0]} channels'))
            return None
        levels, _ = greedy_decision(
            logits.cpu().float()[None], max_depth=self.tree.depth,
            **self.decision_tables)
        return levels[0]

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if self.dataset_name is not None:
                ds = sample.get('metainfo', {}).get(
                    'dataset_name', sample.get('dataset_name'))
                if ds is not None and ds != self.dataset_name:
                    continue
            if self.fair_protocol:
                pred = self.fair_prediction(
                    sample['seg_logits']['data'].cpu())
            else:
                pred = sample['pred_sem_seg']['data'].squeeze(0).cpu()
            codes = sample['gt_sem_seg']['data'].squeeze(0).cpu().long()
            pred = pred.long()
            if pred.max() >= len(self.pred_to_node):
                raise ValueError(
                    f'HierIoUMetric: predicted class {int(pred.max())} but '
                    f'the tree has {self.tree.num_leaves} leaves and '
                    f'{self.num_coarse} flat coarse classes')
            pred_node = self.pred_to_node[pred]
            result = hier_confusion(pred_node, self.code_to_node[codes],
                                    self.level_table, self.node_level,
                                    self.node_leaf_index,
                                    self.tree.num_leaves,
                                    pred_levels=self.own_levels(sample))
            if self.dataset_name is not None:
                num = len(self.dataset_classes)
                gt = self.code_to_dataset[codes]
                gt = torch.where(gt == IGNORE_INDEX, torch.full_like(gt, -1),
                                 gt)
                p = self.node_to_dataset[pred_node]
                p = torch.where(p == IGNORE_INDEX, torch.full_like(p, num), p)
                result['dataset'] = confusion_matrix(
                    gt.reshape(-1), p.reshape(-1), num, num + 1)
            self.results.append(result)

    @staticmethod
    def _table(names: List[str], scores: dict, logger, title: str) -> None:
        table = PrettyTable()
        table.add_column('Class', names)
        for key in ('IoU', 'Acc'):
            table.add_column(key, [
                f'{v * 100:.2f}' if not np.isnan(v) else 'nan'
                for v in scores[key]
            ])
        print_log(f'{title}:\n' + table.get_string(), logger)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Sum the per-sample confusions, log tables, return scalars:
        ``aAcc``/``mIoU``/``mPA`` (leaves, or the dataset's classes when
        ``dataset_name`` is set), ``leaf.*``, ``L<d>.*`` and ``hAcc``."""
        logger: MMLogger = MMLogger.get_current_instance()
        tree = self.tree
        if not results:
            raise ValueError(
                'HierIoUMetric got no samples to score' +
                (f' of dataset {self.dataset_name!r}'
                 if self.dataset_name else ''))
        total = {
            key: sum(r[key] for r in results)
            for key in results[0]
        }
        metrics = OrderedDict()

        def summary(prefix, scores):
            metrics[f'{prefix}aAcc'] = float(np.round(
                scores['aAcc'] * 100, 2))
            metrics[f'{prefix}mIoU'] = float(np.round(
                _nanmean(scores['IoU']) * 100, 2))
            metrics[f'{prefix}mPA'] = float(np.round(
                _nanmean(scores['Acc']) * 100, 2))

        leaf = scores_from_confusion(total['leaf'])
        self._table(list(tree.leaf_names), leaf, logger, 'per leaf results')
        summary('leaf.', leaf)
        level_rows = PrettyTable(
            ['Level', 'aAcc', 'mIoU', 'mPA', 'acc given the path above'])
        for d in range(total['level'].shape[0]):
            lv = scores_from_confusion(total['level'][d])
            summary(f'L{d + 1}.', lv)
            right, routed = (int(v) for v in total['cond'][d])
            metrics[f'L{d + 1}.given_path'] = round(
                100 * right / routed, 2) if routed else float('nan')
            level_rows.add_row([f'L{d + 1}'] + [
                metrics[f'L{d + 1}.{k}']
                for k in ('aAcc', 'mIoU', 'mPA', 'given_path')])
        for name in self.recall_nodes:
            node = tree.node_id(name)
            row = total['level'][int(tree.level[node]) - 1][node]
            metrics[f'recall.{name.replace(" ", "_")}'] = round(
                100 * float(row[node]) / float(row.sum()),
                2) if row.sum() > 0 else float('nan')
        print_log('per level results:\n' + level_rows.get_string(), logger)
        metrics['hAcc'] = float(
            np.round(100 * int(total['hier_correct']) /
                     max(int(total['hier_total']), 1), 2))
        if self.dataset_name is not None:
            ds = scores_from_confusion(total['dataset'])
            self._table(self.dataset_classes, ds, logger,
                        f'{self.dataset_name} per class results')
            summary('', ds)
        else:
            for key in ('aAcc', 'mIoU', 'mPA'):
                metrics[key] = metrics[f'leaf.{key}']
        return dict(metrics)
