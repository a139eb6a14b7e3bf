# Copyright (c) mmhier contributors. All rights reserved.
"""Structural pruning on Torch-Pruning: layer selection, plain-data history
and its replay, params/FLOPs reports, pruned-model loading and export."""
from .export import export_pruned_model, load_exported_model
from .history import (HISTORY_META_KEY, PruningHistory, apply_ops,
                      get_submodule, group_to_ops, history_from_checkpoint)
from .init_model import load_pruned_weights
from .planner import (DEFAULT_IGNORED_LAYERS, PruningPlanner,
                      build_importance, example_inputs_from_batch,
                      select_layers, step_ratio, tensor_forward)
from .report import count_params_flops, layer_table, summary_line

__all__ = [
    'HISTORY_META_KEY', 'PruningHistory', 'apply_ops', 'get_submodule',
    'group_to_ops', 'history_from_checkpoint', 'DEFAULT_IGNORED_LAYERS',
    'PruningPlanner', 'build_importance', 'example_inputs_from_batch',
    'select_layers', 'step_ratio', 'tensor_forward', 'count_params_flops',
    'layer_table', 'summary_line', 'load_pruned_weights',
    'export_pruned_model', 'load_exported_model'
]
