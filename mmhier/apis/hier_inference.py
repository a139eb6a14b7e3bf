# Copyright (c) mmhier contributors. All rights reserved.
"""Inference of hierarchical (and flat) segmentors with per-level decisions.

Thin layer over mmseg's ``inference_model`` (models come from
:func:`mmhier.apis.init_model`):

* the inference pipeline is the config's ``test_pipeline`` or, when the
  config has none, the test dataset's pipeline, without the annotation
  loaders;
* every result carries ``pred_level_sem_seg`` (``[D, H, W]`` node ids, -1
  below the decided leaf), from the head's ``add_level_predictions`` for a
  :class:`~mmhier.models.heads.HierarchicalDecodeHead`, or for any other
  model (the flat baseline) by walking each predicted class up the taxonomy
  (leaf -> its ancestor at each level).
"""
import copy
from typing import List, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.apis import inference_model

#: transforms that read ground truth; there is none at inference
ANNOTATION_TRANSFORMS = ('LoadAnnotations', 'LoadHierAnnotations',
                         'LoadBoxAnnotations', 'BoxToMask')


def inference_pipeline(cfg: Config) -> List[dict]:
    """The pipeline of a plain image: ``cfg.test_pipeline``, else the test
    dataset's (the first source's for a concatenation without one), without
    annotation loaders; ``PackHierSegInputs`` (which insists on a
    ``dataset_name``) becomes ``PackSegInputs`` with the same meta keys."""
    pipeline = cfg.get('test_pipeline')
    if pipeline is None:
        dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
        while 'pipeline' not in dataset and dataset.get('datasets'):
            dataset = dataset.datasets[0]
        if 'pipeline' not in dataset:
            raise KeyError(f'{cfg.filename}: no test_pipeline and no '
                           'pipeline in test_dataloader.dataset')
        pipeline = dataset.pipeline
    out = []
    for t in pipeline:
        if t.get('type') in ANNOTATION_TRANSFORMS:
            continue
        t = copy.deepcopy(t)
        if t.get('type') == 'PackHierSegInputs':
            from mmhier.datasets.transforms.formatting import HIER_META_KEYS
            t = dict(
                type='PackSegInputs',
                meta_keys=tuple(t.get('meta_keys', HIER_META_KEYS)))
        out.append(t)
    return out


def model_taxonomy(model):
    """The model's label tree: the hierarchical head's, else the config's
    ``taxonomy`` variable (flat baselines), else None."""
    head = getattr(model, 'decode_head', None)
    if getattr(head, 'tree', None) is not None:
        return head.tree
    cfg = getattr(model, 'cfg', None)
    if cfg is not None and cfg.get('taxonomy') is not None:
        from mmhier.taxonomy import LabelTree
        return LabelTree.build(cfg.taxonomy)
    return None


def class_to_node(tree, coarse_nodes: Sequence[str] = ()) -> np.ndarray:
    """Prediction index -> node id: the leaves, then a flat model's extra
    coarse classes (internal nodes)."""
    return tree.prediction_nodes(coarse_nodes)


def level_nodes_from_prediction(pred: torch.Tensor, tree,
                                coarse_nodes: Sequence[str] = ()
                                ) -> torch.Tensor:
    """``[H, W]`` predicted class indices -> ``[D, H, W]`` node decided at
    each tree level (the ancestor-or-self at level ``d + 1``), -1 below the
    predicted node.

    Args:
        pred (Tensor): long class indices (leaves, then ``coarse_nodes``).
        tree (LabelTree): The taxonomy.
        coarse_nodes (Sequence[str]): A flat model's extra classes.
    """
    table = torch.from_numpy(tree.level_ancestor_table())
    nodes = torch.from_numpy(class_to_node(tree, coarse_nodes))
    if int(pred.max()) >= len(nodes):
        raise ValueError(f'predicted class {int(pred.max())} but the '
                         f'taxonomy has {tree.num_leaves} leaves and '
                         f'{len(coarse_nodes)} coarse classes')
    return table[nodes[pred.long().cpu()]].permute(2, 0, 1)


def add_level_predictions(model, samples: Sequence) -> None:
    """Store ``pred_level_sem_seg`` in every predicted data sample (see the
    module docstring)."""
    from .model_init import unwrap_model
    model = unwrap_model(model)
    head = getattr(model, 'decode_head', None)
    if hasattr(head, 'add_level_predictions'):
        head.add_level_predictions(samples)
        return
    tree = model_taxonomy(model)
    if tree is None:
        raise KeyError(
            f'{model.cfg.filename}: the model has no hierarchical head '
            'and the config no `taxonomy`: per-level decisions need a '
            'label tree')
    coarse = model.cfg.get('flat_coarse_nodes', [])
    for sample in samples:
        levels = level_nodes_from_prediction(sample.pred_sem_seg.data[0],
                                             tree, coarse)
        sample.set_data(dict(pred_level_sem_seg=PixelData(data=levels)))


def inference_levels(model, imgs):
    """``mmseg.apis.inference_model`` plus ``pred_level_sem_seg`` in every
    result (see the module docstring).

    Args:
        model (nn.Module): From :func:`mmhier.apis.init_model`.
        imgs (str | np.ndarray | list): Image file(s) or BGR array(s).

    Returns:
        SegDataSample | list[SegDataSample]: As ``inference_model``.
    """
    # mmseg's data preparation turns the config's first transform into an
    # array loader for good once it sees an array: keep the model's pipeline
    pipeline = copy.deepcopy(model.cfg.test_pipeline)
    try:
        results = inference_model(model, imgs)
    finally:
        model.cfg.test_pipeline = pipeline
    add_level_predictions(
        model, results if isinstance(results, list) else [results])
    return results
