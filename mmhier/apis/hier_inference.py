# Copyright (c) mmhier contributors. All rights reserved.
"""Inference of hierarchical (and flat) segmentors with per-level decisions.

Thin layer over mmseg's ``init_model`` / ``inference_model``:

* the weights are loaded with ``torch.load(weights_only=True)``
  (:func:`mmhier.utils.load_checkpoint_safe`) instead of mmseg's unrestricted
  loader;
* the inference pipeline is the config's ``test_pipeline`` or, when the
  config has none (mmhier's dataset configs keep one pipeline per dataset),
  the test dataset's pipeline, without the annotation loaders;
* every result carries ``pred_level_sem_seg`` (``[D, H, W]`` node ids, -1
  below the decided leaf), from the head's ``add_level_predictions`` for a
  :class:`~mmhier.models.heads.HierarchicalDecodeHead`, or for any other
  model (the flat baseline) by walking each predicted class up the taxonomy
  (leaf -> its ancestor at each level).
"""
import copy
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.apis import inference_model, init_model

from mmhier.utils import load_checkpoint_safe

#: transforms that read ground truth; there is none at inference
ANNOTATION_TRANSFORMS = ('LoadAnnotations', 'LoadHierAnnotations',
                         'LoadBoxAnnotations', 'BoxToMask')


def inference_pipeline(cfg: Config) -> List[dict]:
    """``cfg.test_pipeline``, else the test dataset's (first dataset's for a
    concatenation) pipeline, without annotation loaders."""
    pipeline = cfg.get('test_pipeline')
    if pipeline is None:
        dataset = cfg.test_dataloader.dataset
        while 'pipeline' not in dataset and dataset.get('datasets'):
            dataset = dataset.datasets[0]
        if 'pipeline' not in dataset:
            raise KeyError(f'{cfg.filename}: no test_pipeline and no '
                           'pipeline in test_dataloader.dataset')
        pipeline = dataset.pipeline
    return [
        copy.deepcopy(t) for t in pipeline
        if t.get('type') not in ANNOTATION_TRANSFORMS
    ]


def init_hier_model(config: Union[str, Config],
                    checkpoint: Optional[str] = None,
                    device: str = 'cpu',
                    cfg_options: Optional[dict] = None):
    """Build a segmentor with ``mmseg.apis.init_model`` and load weights
    with ``weights_only=True``.

    Args:
        config (str | Config): Config file or object.
        checkpoint (str, optional): Checkpoint path; None keeps the random
            initialisation.
        device (str): Defaults to ``'cpu'``.
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` (its
        ``test_pipeline`` set by :func:`inference_pipeline`) and
        ``dataset_meta`` (from the checkpoint, else the taxonomy's leaves).
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else copy.deepcopy(
        config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.test_pipeline = inference_pipeline(cfg)
    model = init_model(cfg, checkpoint=None, device='cpu')
    meta = {}
    if checkpoint is not None:
        ckpt = load_checkpoint_safe(checkpoint, map_location='cpu')
        state = ckpt.get('state_dict', ckpt)
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise KeyError(f'{checkpoint} does not match {cfg.filename}: '
                           f'missing keys {missing[:5]}, unexpected keys '
                           f'{unexpected[:5]}')
        meta = ckpt.get('meta', {}) or {}
    if meta.get('dataset_meta'):
        model.dataset_meta = meta['dataset_meta']
    else:
        tree = model_taxonomy(model)
        if tree is not None:
            model.dataset_meta = tree.metainfo()
    model.to(device)
    model.eval()
    return model


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
    return np.asarray(
        list(tree.leaves) + [tree.node_id(n) for n in coarse_nodes],
        np.int64)


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
    from mmhier.evaluation.hier_metric import level_ancestor_table
    table = torch.from_numpy(
        level_ancestor_table(np.asarray(tree.parent), np.asarray(tree.level)))
    nodes = torch.from_numpy(class_to_node(tree, coarse_nodes))
    if int(pred.max()) >= len(nodes):
        raise ValueError(f'predicted class {int(pred.max())} but the '
                         f'taxonomy has {tree.num_leaves} leaves and '
                         f'{len(coarse_nodes)} coarse classes')
    return table[nodes[pred.long().cpu()]].permute(2, 0, 1)


def inference_levels(model, imgs):
    """``mmseg.apis.inference_model`` plus ``pred_level_sem_seg`` in every
    result (see the module docstring).

    Args:
        model (nn.Module): From :func:`init_hier_model`.
        imgs (str | np.ndarray | list): Image file(s) or BGR array(s).

    Returns:
        SegDataSample | list[SegDataSample]: As ``inference_model``.
    """
    results = inference_model(model, imgs)
    samples = results if isinstance(results, list) else [results]
    head = getattr(model, 'decode_head', None)
    if hasattr(head, 'add_level_predictions'):
        head.add_level_predictions(samples)
    else:
        tree = model_taxonomy(model)
        if tree is None:
            raise KeyError(
                f'{model.cfg.filename}: the model has no hierarchical head '
                'and the config no `taxonomy`: per-level decisions need a '
                'label tree')
        coarse = model.cfg.get('flat_coarse_nodes', [])
        for sample in samples:
            levels = level_nodes_from_prediction(
                sample.pred_sem_seg.data[0], tree, coarse)
            sample.set_data(dict(pred_level_sem_seg=PixelData(data=levels)))
    return results
