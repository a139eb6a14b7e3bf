# Copyright (c) mmhier contributors. All rights reserved.
"""Optional whole-model export of a pruned model -- **pickle**.

For deployment targets that cannot rebuild the model from mmhier configs.
Unlike a checkpoint with a plain-data pruning history, this file pickles the
model *object*: loading it imports and runs code from the classes it names
(the ``whole_model.pt`` pitfall of the YOLOR pruning article
"YOLOR剪枝【附代码】") and breaks when the source
tree changes. Prefer checkpoints + :func:`mmhier.apis.init_model`;
use this only for files you produced yourself.
"""
import warnings

import torch
import torch.nn as nn
from mmengine.model import is_model_wrapper


def export_pruned_model(model: nn.Module, filename: str) -> None:
    """Pickle the whole (pruned) ``model`` into ``filename``.

    Warning:
        The file is a pickle of code objects, not plain data; it can only be
        read with ``torch.load(weights_only=False)``
        (:func:`load_exported_model`), which executes code.
    """
    if is_model_wrapper(model):
        model = model.module
    torch.save(model, filename)


def load_exported_model(filename: str,
                        map_location='cpu') -> nn.Module:
    """Load a model written by :func:`export_pruned_model`.

    Warning:
        This is the only place in mmhier that calls
        ``torch.load(weights_only=False)``: unpickling runs arbitrary code.
        Only load files from a source you trust.
    """
    warnings.warn(
        f'loading {filename} with torch.load(weights_only=False): this '
        'unpickles code; only do it for files you trust', UserWarning)
    model = torch.load(filename, map_location=map_location,
                       weights_only=False)
    if not isinstance(model, nn.Module):
        raise TypeError(f'{filename} holds a {type(model).__name__}, not an '
                        'nn.Module exported by export_pruned_model')
    return model
