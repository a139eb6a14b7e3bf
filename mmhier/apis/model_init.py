# Copyright (c) mmhier contributors. All rights reserved.
"""The one way mmhier turns a config and a checkpoint into a model.

``init_model`` (the Python API, ``tools/infer.py``, the analysis tools and
:class:`~mmhier.apis.HierSegInferencer`) builds the config's model and
calls :func:`load_checkpoint`; ``tools/test.py`` lets MMEngine's runner
build the same config's model and calls :func:`load_checkpoint` on it. That
function

* reads the file with ``torch.load(weights_only=True)``
  (:func:`mmhier.utils.load_checkpoint_safe`), never unpickling code;
* replays the checkpoint's pruning history (if it has one) on the freshly
  built, unpruned model before copying the weights
  (:func:`mmhier.pruning.load_pruned_weights`), so pruned and unpruned
  checkpoints load the same way;
* loads strictly: a checkpoint that does not fit the config is an error
  naming both, not a silently half-random model;
* sets ``model.dataset_meta`` (``classes`` / ``palette`` of what the model
  predicts, as mmseg's visualiser expects): the checkpoint's, unless it does
  not match the model's number of outputs, else the taxonomy's leaves (plus
  a flat baseline's ``flat_coarse_nodes``).
"""
import copy
import warnings
from pathlib import Path
from typing import Optional, Union

import torch.nn as nn
from mmengine.config import Config, ConfigDict
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope

from mmhier.pruning import load_pruned_weights
from mmhier.utils import load_checkpoint_safe, unwrap_model
from .hier_inference import class_to_node, inference_pipeline, model_taxonomy


def num_outputs(model: nn.Module) -> Optional[int]:
    """Number of classes the model predicts (its decode head's), or None."""
    head = getattr(unwrap_model(model), 'decode_head', None)
    return getattr(head, 'out_channels', None)


def _test_dataset_metainfo(cfg) -> dict:
    """``METAINFO`` of the class of the config's (first) test dataset."""
    from mmhier.registry import DATASETS
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    while dataset.get('datasets'):
        dataset = dataset['datasets'][0]
    cls = DATASETS.get(dataset['type']) if isinstance(
        dataset.get('type'), str) else None
    return dict(getattr(cls, 'METAINFO', {}) or {})


def model_dataset_meta(model: nn.Module) -> Optional[dict]:
    """``dict(classes, palette)`` of the classes the model predicts, from its
    taxonomy: the leaves, then a flat baseline's ``flat_coarse_nodes``
    (internal nodes predicted as classes of their own). A model without a
    taxonomy (a stock mmseg model) gets its test dataset class's classes if
    their number fits; else None."""
    model = unwrap_model(model)
    cfg = getattr(model, 'cfg', None) or {}
    tree = model_taxonomy(model)
    if tree is None:
        meta = _test_dataset_metainfo(cfg)
        if meta.get('classes') and len(meta['classes']) == num_outputs(model):
            return dict(
                classes=tuple(meta['classes']), palette=meta.get('palette'))
        return None
    head = getattr(model, 'decode_head', None)
    coarse = [] if getattr(head, 'tree', None) is not None else list(
        cfg.get('flat_coarse_nodes', []))
    nodes = class_to_node(tree, coarse)
    return dict(
        classes=tuple(tree.node_names[n] for n in nodes),
        palette=[list(map(int, tree.node_palette[n])) for n in nodes])


def load_checkpoint(model: nn.Module, filename: str) -> dict:
    """Load ``filename`` into ``model`` (see the module docstring).

    Args:
        model (nn.Module): A model freshly built from the checkpoint's config
            (unpruned), possibly inside DDP / TTA wrappers.
        filename (str): The checkpoint.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        KeyError: The checkpoint does not fit the model (message names the
            file and the config).
    """
    target = unwrap_model(model)
    ckpt = load_checkpoint_safe(filename, map_location='cpu')
    if not isinstance(ckpt, dict):
        raise TypeError(f'{filename}: expected a checkpoint dict, got '
                        f'{type(ckpt).__name__}')
    try:
        load_pruned_weights(target, ckpt, strict=True)
    except RuntimeError as e:
        cfg = getattr(target, 'cfg', None)
        where = getattr(cfg, 'filename', None) or 'the config'
        raise KeyError(f'{filename} does not fit the model of {where}: '
                       f'{e}') from None
    meta = (ckpt.get('meta') or {}).get('dataset_meta') or {}
    dataset_meta = None
    if meta.get('classes'):
        dataset_meta = dict(
            classes=tuple(meta['classes']), palette=meta.get('palette'))
        n = num_outputs(target)
        if n is not None and len(dataset_meta['classes']) != n:
            warnings.warn(
                f'{filename}: dataset_meta names '
                f'{len(dataset_meta["classes"])} classes but the model '
                f'predicts {n}; using the classes of its taxonomy')
            dataset_meta = model_dataset_meta(target) or dataset_meta
    else:
        dataset_meta = model_dataset_meta(target)
    if dataset_meta is not None:
        target.dataset_meta = dataset_meta
    return ckpt


def _as_config(config, checkpoint: Optional[str]) -> Config:
    if isinstance(config, (str, Path)):
        return Config.fromfile(str(config))
    if isinstance(config, Config):
        return copy.deepcopy(config)
    if isinstance(config, (ConfigDict, dict)) and config:
        return Config(copy.deepcopy(dict(config)))
    if not config and checkpoint is not None:
        meta = load_checkpoint_safe(checkpoint).get('meta') or {}
        if not meta.get('cfg'):
            raise KeyError(f'{checkpoint}: no config given and none saved '
                           "in the checkpoint's meta['cfg']")
        return Config.fromstring(meta['cfg'], file_format='.py')
    raise TypeError('config must be a file name or a Config, got '
                    f'{type(config).__name__}')


def init_model(config: Union[str, Path, Config, None],
               checkpoint: Optional[str] = None,
               device: str = 'cpu',
               cfg_options: Optional[dict] = None) -> nn.Module:
    """``mmseg.apis.init_model`` for every mmhier config and checkpoint,
    pruned ones included.

    Args:
        config (str | Path | Config | None): The model's config; None reads
            the one saved in the checkpoint.
        checkpoint (str, optional): Checkpoint path; None keeps the random
            initialisation (``dataset_meta`` from the taxonomy).
        device (str): Defaults to ``'cpu'`` (SyncBN is turned into BN there).
        cfg_options (dict, optional): Overrides merged into the config.

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` (whose
        ``test_pipeline`` is the plain-image pipeline of
        :func:`inference_pipeline`, so that ``mmseg.apis.inference_model``
        works on it) and ``dataset_meta``.
    """
    from mmhier.registry import MODELS
    cfg = _as_config(config, checkpoint)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'model' not in cfg:
        raise KeyError(f'{cfg.filename}: no `model` in the config')
    # no pretrained download: the checkpoint (or nothing) gives the weights
    cfg.model.pop('pretrained', None)
    if isinstance(cfg.model.get('backbone'), dict):
        cfg.model.backbone.pop('init_cfg', None)
    try:
        cfg.test_pipeline = inference_pipeline(cfg)
    except KeyError:  # a model-only config: build it all the same
        pass
    init_default_scope(cfg.get('default_scope', 'mmhier'))
    model = MODELS.build(cfg.model)
    model.cfg = cfg
    if checkpoint is not None:
        load_checkpoint(model, checkpoint)
    else:
        meta = model_dataset_meta(model)
        if meta is not None:
            model.dataset_meta = meta
    if str(device).startswith('cpu'):
        model = revert_sync_batchnorm(model)
    return model.to(device).eval()
