# Copyright (c) mmhier contributors. All rights reserved.
"""Build a pruned model for inference: config -> replay history -> weights.

``mmseg.apis.init_model`` and ``MMSegInferencer`` build the config's
*unpruned* model and then copy the weights in, which fails (or, with
``strict=False``, silently skips the pruned layers). Here the checkpoint's
plain-data pruning history is replayed on the freshly built model first.
"""
from pathlib import Path
from typing import Optional, Union

import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from mmseg.apis import MMSegInferencer

from mmhier.utils.safe_checkpoint import load_checkpoint_safe
from .history import history_from_checkpoint


def load_pruned_weights(model: nn.Module,
                        checkpoint: dict,
                        strict: bool = True) -> nn.Module:
    """Replay ``checkpoint``'s pruning history on ``model``, then load its
    ``state_dict`` (``strict`` by default: a mismatch is an error).

    Args:
        model (nn.Module): Freshly built from the config (unpruned).
        checkpoint (dict): A loaded checkpoint (with or without history).
        strict (bool): Passed to the state-dict loading.

    Returns:
        nn.Module: ``model``, pruned and loaded.
    """
    history = history_from_checkpoint(checkpoint)
    if history is not None:
        history.replay(model)
    _load_checkpoint_to_model(model, checkpoint, strict=strict)
    return model


def init_pruned_model(config: Union[str, Path, Config],
                      checkpoint: Optional[str] = None,
                      device: str = 'cpu',
                      cfg_options: Optional[dict] = None) -> nn.Module:
    """``mmseg.apis.init_model`` for pruned (or unpruned) checkpoints of any
    mmhier / mmseg / mmpretrain model.

    The checkpoint is read with ``torch.load(weights_only=True)``
    (:func:`mmhier.utils.load_checkpoint_safe`), never unpickling code.

    Args:
        config (str | Path | Config): The training config of the model.
        checkpoint (str, optional): Checkpoint path; None gives the
            config's (unpruned, randomly initialised) model.
        device (str): Device to put the model on. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Config overrides.

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` and (if stored)
        ``dataset_meta`` attributes.
    """
    from mmhier.registry import MODELS
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(config))
    elif not isinstance(config, Config):
        raise TypeError('config must be a filename or Config object, got '
                        f'{type(config).__name__}')
    if cfg_options is not None:
        config.merge_from_dict(cfg_options)
    config.model.pop('pretrained', None)
    init_default_scope(config.get('default_scope', 'mmhier'))
    model = MODELS.build(config.model)
    if checkpoint is not None:
        ckpt = load_checkpoint_safe(checkpoint)
        load_pruned_weights(model, ckpt)
        dataset_meta = (ckpt.get('meta') or {}).get('dataset_meta')
        if dataset_meta is not None:
            model.dataset_meta = dataset_meta
    model.cfg = config
    return model.to(device).eval()


class PrunedSegInferencer(MMSegInferencer):
    """``MMSegInferencer`` that replays the checkpoint's pruning history
    before loading the weights; same arguments as ``MMSegInferencer``."""

    def _load_weights_to_model(self, model: nn.Module,
                               checkpoint: Optional[dict], cfg) -> None:
        if checkpoint is not None:
            history = history_from_checkpoint(checkpoint)
            if history is not None:
                history.replay(model)
        super()._load_weights_to_model(model, checkpoint, cfg)
