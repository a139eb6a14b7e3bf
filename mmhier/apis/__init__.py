# Copyright (c) mmhier contributors. All rights reserved.
from .hier_inference import (add_level_predictions, inference_levels,  # noqa
                             inference_pipeline, level_nodes_from_prediction,
                             model_taxonomy)
from .inferencer import HierSegInferencer
from .model_init import (init_model, load_checkpoint, model_dataset_meta,
                         unwrap_model)
from .tta import build_tta_pipeline, dataset_tta_pipeline, tta_config

#: the former name of :func:`init_model` (the same function)
init_hier_model = init_model

__all__ = [
    'add_level_predictions', 'inference_levels', 'inference_pipeline',
    'level_nodes_from_prediction', 'model_taxonomy', 'HierSegInferencer',
    'init_model', 'init_hier_model', 'load_checkpoint', 'model_dataset_meta',
    'unwrap_model', 'build_tta_pipeline', 'dataset_tta_pipeline',
    'tta_config'
]
