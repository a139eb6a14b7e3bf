# Copyright (c) mmhier contributors. All rights reserved.
from .collect_env import collect_env
from .config_blocks import building_blocks, drop_building_blocks
from .dist_utils import setup_cpu_distributed, teardown_distributed
from .model_wrappers import unwrap_model
from .safe_checkpoint import (CheckpointError, load_checkpoint_file,
                              load_checkpoint_safe,
                              register_safe_checkpoint_globals)

# Resume/test/load_from go through MMEngine's plain ``torch.load``: make the
# runtime state it writes plain data and allow-list only data classes.
register_safe_checkpoint_globals()

__all__ = [
    'collect_env', 'building_blocks', 'drop_building_blocks',
    'setup_cpu_distributed', 'teardown_distributed', 'CheckpointError',
    'load_checkpoint_file', 'load_checkpoint_safe',
    'register_safe_checkpoint_globals', 'unwrap_model'
]
