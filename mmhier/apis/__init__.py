# Copyright (c) mmhier contributors. All rights reserved.
from .hier_inference import (inference_levels, inference_pipeline,  # noqa
                             init_hier_model, level_nodes_from_prediction,
                             model_taxonomy)

__all__ = [
    'inference_levels', 'inference_pipeline', 'init_hier_model',
    'level_nodes_from_prediction', 'model_taxonomy'
]
