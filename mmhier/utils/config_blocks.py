# Copyright (c) mmhier contributors. All rights reserved.
"""Keep a config's building blocks out of what the runner logs and dumps.

The dataset configs define their pipelines and per-dataset dicts as
top-level variables (``pixel_train_pipeline``, ``cityscapes_train``, ...) so
that a child config can reuse them through ``_base_.<name>``. MMEngine keeps
every top-level variable, so the runner logs each of them once more next to
the dataloaders that inline them: a six-image test printed ~1200 lines of
config. :func:`drop_building_blocks` removes a top-level list or dict only
when it is not a key the runner, mmseg's inference APIs or mmhier's tools
read and its value appears verbatim inside a key that is kept: nothing the
run uses is lost, and the config file itself stays the full source.
"""
from typing import Any, List

from mmengine.config import Config

#: top-level keys read by name (MMEngine's ``Runner.from_cfg``, mmseg's
#: ``init_model`` / ``MMSegInferencer``, ``tools/test.py --tta`` and the
#: mmhier tools); never dropped
READ_BY_NAME = frozenset({
    'model', 'work_dir', 'train_dataloader', 'val_dataloader',
    'test_dataloader', 'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr',
    'optim_wrapper', 'param_scheduler', 'val_evaluator', 'test_evaluator',
    'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level',
    'visualizer', 'vis_backends', 'default_scope', 'randomness',
    'experiment_name', 'custom_imports', 'model_wrapper_cfg', 'runner_type',
    'test_pipeline', 'tta_pipeline', 'tta_model', 'tta_ratios', 'tta_flip',
    'tta_unflipped_classifiers', 'taxonomy',
    'crop_size', 'dist_cfg', 'mp_cfg', 'compile', 'cudnn_benchmark'
})


def _occurs_in(value: Any, container: Any) -> bool:
    """Whether ``value`` equals ``container`` or one of its sub-values."""
    if container == value:
        return True
    if isinstance(container, dict):
        return any(_occurs_in(value, v) for v in container.values())
    if isinstance(container, (list, tuple)):
        return any(_occurs_in(value, v) for v in container)
    return False


def building_blocks(cfg: Config) -> List[str]:
    """Top-level keys of ``cfg`` that :func:`drop_building_blocks` removes:
    lists and dicts not read by name whose value is inlined in a kept key.
    """
    data = cfg.to_dict()
    kept = [v for k, v in data.items() if k in READ_BY_NAME]
    return [
        key for key, value in data.items()
        if key not in READ_BY_NAME and isinstance(value, (list, dict)) and
        value and any(_occurs_in(value, k) for k in kept)
    ]


def drop_building_blocks(cfg: Config) -> Config:
    """``cfg`` without its :func:`building_blocks` (in place; returned)."""
    for key in building_blocks(cfg):
        cfg.pop(key)
    return cfg
