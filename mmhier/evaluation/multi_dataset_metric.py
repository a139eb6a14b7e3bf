# Copyright (c) mmhier contributors. All rights reserved.
"""Score one model on several datasets, each in its own label space.

The paper evaluates the single hierarchical model on Cityscapes (27
classes), Vistas (65), GTSDB (inside the boxes) and Cityscapes Extended
(sign classes) separately (Meletis & Dubbelman, IV 2018, Tables II/III).
mmseg's ``IoUMetric`` has one label space and no per-dataset split; this
metric splits the samples by ``metainfo['dataset_name']`` and scores each in
one or more *views* (evaluation label spaces declared in the tree, e.g.
``cityscapes19`` and ``cityscapes27`` for Cityscapes):

* prediction: leaf index -> node -> eval class of the nearest
  ancestor-or-self that the view evaluates (``LabelTree.node_to_dataset``);
  a leaf outside the view's classes (e.g. ``sky`` predicted on a GTSDB sign)
  is a miss for the labelled class and a prediction of no class;
* ground truth: node-space code -> node -> eval class **only if that node
  itself is a class of the view** (exact match), else ignore. A view may
  drop classes of its dataset (``cityscapes19`` ignores ``parking``); with
  the nearest-ancestor rule such a pixel would be scored as its ancestor's
  class (``parking`` -> ``driveable`` = ``road``) instead of being ignored.

GTSDB ground truth comes from :class:`BoxToMask` (weak codes inside boxes,
ignore elsewhere), so GTSDB is scored inside its boxes only.

Per view: ``aAcc``, ``mIoU`` and ``mPA`` (mean per-class pixel accuracy, the
paper's metric), from mmseg's ``IoUMetric.intersect_and_union`` /
``total_area_to_metrics``.

**The paper's sign-class subset** (Sec. V-B): the traffic-sign classes are
also scored on the subset of the 43 classes that have more than
:math:`10^3` pixels in the GTSDB training set and in both the GTSDB and
Cityscapes Extended validation sets (``class_subset``; the thresholds are
given per view in the data's own pixels, so a down-scaled data set scales
them with its area). The subset scores are reported next to the scores on
all classes as ``<view>/subset.mPA``, ``subset.mIoU`` and
``subset.classes``.
"""
from collections import OrderedDict, defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmseg.evaluation.metrics import IoUMetric
from prettytable import PrettyTable

from mmhier.registry import METRICS
from mmhier.taxonomy import IGNORE_INDEX, LabelTree


def gt_txt_class_pixels(ann_file: str, num_classes: int) -> np.ndarray:
    """Box pixels per class of a GTSDB ``gt.txt`` (lines
    ``name;left;top;right;bottom;classId``, inclusive coordinates)."""
    pixels = np.zeros(num_classes, np.float64)
    with open(ann_file) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            parts = line.strip().split(';')
            try:
                left, top, right, bottom, cls = (int(v) for v in parts[1:6])
            except ValueError:
                raise ValueError(f'{ann_file}:{number}: expected '
                                 f'name;left;top;right;bottom;classId, got '
                                 f'{line.strip()!r}')
            if not 0 <= cls < num_classes:
                raise ValueError(f'{ann_file}:{number}: class id {cls} is '
                                 f'outside 0..{num_classes - 1}')
            pixels[cls] += (right - left + 1) * (bottom - top + 1)
    return pixels


def _percent(value) -> float:
    """A ratio as a percentage rounded to 2 decimals, in float64 (mmseg's
    areas are float32: 2/3 would print as 66.66999816894531)."""
    return round(float(value) * 100, 2)


@METRICS.register_module()
class MultiDatasetHierMetric(BaseMetric):
    """Per-dataset ``aAcc`` / ``mIoU`` / ``mPA`` of leaf predictions.

    Works on a validation dataloader over a :class:`HierConcatDataset`
    (several datasets in one pass) or over a single mmhier dataset. Returns a
    flat dict: ``<dataset>/<metric>`` for a dataset scored in its own label
    space, ``<dataset>/<view>/<metric>`` for another view, and ``mIoU`` /
    ``mPA`` / ``aAcc`` = the mean over all (dataset, view) blocks (for
    ``save_best``). Logs one table of per-class scores per block and a
    summary table.

    Args:
        taxonomy (str | dict | LabelTree): The label tree.
        dataset_views (dict, optional): ``{dataset_name: [view, ...]}``; a
            view is a dataset entry of the tree (an ``eval_only`` one or the
            dataset itself). Datasets not listed are scored in their own
            entry. Defaults to None.
        flat_coarse_nodes (Sequence[str]): For flat models with extra output
            classes for internal nodes (prediction ``num_leaves + k`` is node
            ``flat_coarse_nodes[k]``). Defaults to ().
        fair_protocol (bool): The paper's fair protocol for such flat models
            (see :class:`HierIoUMetric`); needs ``seg_logits`` in the
            samples. Defaults to False.
        class_subset (dict, optional): The paper's class-subset rule:
            ``min_pixels`` (``{view: n}``: a class is kept if it has at
            least ``n`` labelled pixels in every listed view that was
            scored), and optionally ``train_ann_file`` (a GTSDB ``gt.txt``)
            with ``min_train_pixels`` (box pixels of the class in it). The
            kept classes are scored in every listed view. Defaults to None.
        collect_device (str): See ``BaseMetric``. Defaults to ``'cpu'``.
        prefix (str, optional): See ``BaseMetric``. Defaults to None.
    """

    def __init__(self,
                 taxonomy,
                 dataset_views: Optional[Dict[str, Sequence[str]]] = None,
                 flat_coarse_nodes: Sequence[str] = (),
                 fair_protocol: bool = False,
                 class_subset: Optional[dict] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.tree = LabelTree.build(taxonomy)
        self.dataset_views = {
            name: list(views)
            for name, views in (dataset_views or {}).items()
        }
        for name, views in self.dataset_views.items():
            for view in views:
                if view not in self.tree.dataset_names:
                    raise KeyError(
                        f'dataset_views[{name!r}]: view {view!r} is not a '
                        f'dataset of the tree {self.tree.source} '
                        f'({self.tree.dataset_names})')
        # prediction index (leaves, then flat coarse classes) -> node
        self.pred_to_node = torch.from_numpy(
            self.tree.prediction_nodes(flat_coarse_nodes))
        self.fair = None
        if fair_protocol:
            # reuse the hierarchical metric's implementation of the protocol
            from .hier_metric import HierIoUMetric
            self.fair = HierIoUMetric(
                self.tree, flat_coarse_nodes=flat_coarse_nodes,
                fair_protocol=True)
        self._tables: Dict[str, tuple] = {}
        self.class_subset = None
        if class_subset is not None:
            self.class_subset = self._check_subset(dict(class_subset))

    def _check_subset(self, cfg: dict) -> dict:
        unknown = set(cfg) - {'min_pixels', 'train_ann_file',
                              'min_train_pixels'}
        if unknown or 'min_pixels' not in cfg:
            raise KeyError(f'class_subset takes min_pixels, train_ann_file, '
                           f'min_train_pixels; got {sorted(cfg)}')
        views = list(cfg['min_pixels'])
        classes = [self.tree.dataset_eval_classes(v) for v in views]
        if any(c != classes[0] for c in classes):
            raise ValueError(f'class_subset views {views} must share their '
                             'evaluation classes')
        cfg['num_classes'] = len(classes[0])
        return cfg

    def subset_mask(self, areas_label: Dict[str, np.ndarray]) -> np.ndarray:
        """Classes kept by the class-subset rule, given the labelled pixels
        per class of each scored view."""
        cfg = self.class_subset
        keep = None
        for view, n in cfg['min_pixels'].items():
            if view in areas_label:
                ok = areas_label[view] >= n
                keep = ok if keep is None else keep & ok
        if cfg.get('train_ann_file'):
            # read when a listed view was scored (a config may inherit the
            # rule without validating on GTSDB)
            train = gt_txt_class_pixels(cfg['train_ann_file'],
                                        cfg['num_classes'])
            ok = train >= cfg.get('min_train_pixels', 0)
            keep = ok if keep is None else keep & ok
        return keep

    def views_of(self, dataset_name: str) -> List[str]:
        """Label spaces ``dataset_name`` is scored in."""
        return self.dataset_views.get(dataset_name, [dataset_name])

    def view_tables(self, view: str) -> tuple:
        """``(class names, pred LUT [num_pred], gt LUT [256])`` of a view
        (cached); LUT entries are eval class indices or 255."""
        if view not in self._tables:
            tree = self.tree
            classes = tree.dataset_eval_classes(view)
            node_to_eval = np.asarray(tree.node_to_dataset(view), np.int64)
            pred_lut = node_to_eval[self.pred_to_node.numpy()]
            # ground truth counts only in a class of the view itself
            gt_lut = tree.code_to_dataset(view, exact=True).astype(np.int64)
            self._tables[view] = (classes, torch.from_numpy(pred_lut),
                                  torch.from_numpy(gt_lut))
        return self._tables[view]

    def _score_subset(self, totals, metrics, logger) -> None:
        views = self.class_subset['min_pixels']
        blocks = {(name, view): areas for (name, view), areas in
                  totals.items() if view in views}
        if not blocks:
            return
        labelled = {view: np.asarray(areas[3], np.float64)
                    for (_, view), areas in blocks.items()}
        keep = self.subset_mask(labelled)
        names = self.view_tables(next(iter(views)))[0]
        kept = [n for n, k in zip(names, keep) if k]
        print_log(f'class subset ({len(kept)} of {len(names)} classes): '
                  f'{kept}', logger)
        for (name, view), areas in blocks.items():
            scores = IoUMetric.total_area_to_metrics(*areas, ['mIoU'])
            key = name if view == name else f'{name}/{view}'
            acc = np.asarray(scores['Acc'], np.float64)[keep]
            iou = np.asarray(scores['IoU'], np.float64)[keep]
            metrics[f'{key}/subset.mPA'] = _percent(np.nanmean(acc)) \
                if keep.any() else float('nan')
            metrics[f'{key}/subset.mIoU'] = _percent(np.nanmean(iou)) \
                if keep.any() else float('nan')
            metrics[f'{key}/subset.classes'] = int(keep.sum())

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            name = sample.get('dataset_name')
            if name is None:
                name = sample.get('metainfo', {}).get('dataset_name')
            if name is None:
                raise KeyError(
                    f'{sample.get("img_path")}: no `dataset_name` in the data '
                    "sample; add it to PackSegInputs' meta_keys")
            if self.fair is not None:
                pred = self.fair.fair_prediction(
                    sample['seg_logits']['data'].cpu())
            else:
                pred = sample['pred_sem_seg']['data'].squeeze(0).cpu()
            pred = pred.long()
            if pred.numel() and int(pred.max()) >= len(self.pred_to_node):
                raise ValueError(
                    f'{sample.get("img_path")}: predicted class '
                    f'{int(pred.max())}, but the tree has '
                    f'{self.tree.num_leaves} leaves (+ '
                    f'{len(self.pred_to_node) - self.tree.num_leaves} flat '
                    'coarse classes)')
            codes = sample['gt_sem_seg']['data'].squeeze(0).cpu().long()
            per_view = OrderedDict()
            for view in self.views_of(name):
                classes, pred_lut, gt_lut = self.view_tables(view)
                per_view[view] = IoUMetric.intersect_and_union(
                    pred_lut[pred], gt_lut[codes], len(classes),
                    IGNORE_INDEX)
            # exactly one entry per sample: BaseMetric.evaluate(size) keeps
            # the first `size` (= dataset length) entries
            self.results.append((name, per_view))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        logger: MMLogger = MMLogger.get_current_instance()
        totals = defaultdict(lambda: [0, 0, 0, 0])
        for name, per_view in results:
            for view, areas in per_view.items():
                for k, area in enumerate(areas):
                    totals[(name, view)][k] = totals[(name, view)][k] + area
        metrics = OrderedDict()
        summary = PrettyTable(['Dataset', 'Label space', 'Classes', 'aAcc',
                               'mPA', 'mIoU'])
        block_scores = []
        for (name, view), areas in totals.items():
            classes = self.view_tables(view)[0]
            scores = IoUMetric.total_area_to_metrics(*areas, ['mIoU'])
            row = OrderedDict(
                aAcc=_percent(scores['aAcc']),
                mPA=_percent(np.nanmean(scores['Acc'])),
                mIoU=_percent(np.nanmean(scores['IoU'])))
            key = name if view == name else f'{name}/{view}'
            for metric, value in row.items():
                metrics[f'{key}/{metric}'] = value
            block_scores.append(row)
            table = PrettyTable()
            table.add_column('Class', list(classes))
            for metric in ('IoU', 'Acc'):
                table.add_column(metric, [
                    'nan' if np.isnan(v) else f'{v * 100:.2f}'
                    for v in scores[metric]
                ])
            print_log(f'{name} in label space {view}:\n' + table.get_string(),
                      logger)
            summary.add_row(
                [name, view, len(classes), row['aAcc'], row['mPA'],
                 row['mIoU']])
        if self.class_subset is not None:
            self._score_subset(totals, metrics, logger)
        print_log('per dataset results:\n' + summary.get_string(), logger)
        for metric in ('aAcc', 'mPA', 'mIoU'):
            values = [row[metric] for row in block_scores]
            metrics[metric] = round(float(np.nanmean(values)), 2) \
                if values else float('nan')
        return dict(metrics)
