# Copyright (c) mmhier contributors. All rights reserved.
from .lars import LARS, lars_trust_ratios
from .lr_scaling import (AccumulationAwareRunner, effective_batch_size,
                         linear_lr_scale)
from .no_decay_constructor import (NoDecayOptimWrapperConstructor, norm_types,
                                   split_no_decay_params)

__all__ = [
    'LARS', 'lars_trust_ratios', 'AccumulationAwareRunner',
    'effective_batch_size', 'linear_lr_scale',
    'NoDecayOptimWrapperConstructor', 'norm_types', 'split_no_decay_params'
]
