# Copyright (c) mmhier contributors. All rights reserved.
"""The model inside MMEngine's wrappers."""
import torch.nn as nn
from mmengine.model import BaseTTAModel, is_model_wrapper


def unwrap_model(model: nn.Module) -> nn.Module:
    """The model inside DDP-like wrappers (anything
    :func:`mmengine.model.is_model_wrapper` recognises, e.g.
    ``MMDistributedDataParallel``) and test-time-augmentation wrappers
    (``BaseTTAModel``); the model itself if it is not wrapped."""
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model
