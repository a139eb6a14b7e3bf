# Copyright (c) mmhier contributors. All rights reserved.
"""Load a (possibly pruned) checkpoint into a model built from its config.

A config builds the *unpruned* shapes; copying a pruned checkpoint's weights
into them fails (or, with ``strict=False``, silently skips the pruned
layers). Here the checkpoint's plain-data pruning history is replayed on the
freshly built model first. :func:`mmhier.apis.init_model` (the one model-init
path of the tools, the API and the inferencer) calls it.
"""
import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.runner.checkpoint import _load_checkpoint_to_model

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
        MMLogger.get_current_instance().info(
            f'replayed {len(history)} pruning records from the checkpoint '
            'before loading its weights')
    _load_checkpoint_to_model(model, checkpoint, strict=strict)
    return model
