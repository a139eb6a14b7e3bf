# Copyright (c) mmhier contributors. All rights reserved.
from .ratio_sampler import (MultiSourceRatioBatchSampler,  # noqa: F401
                            MultiSourceRatioSampler)
from .identity_sampler import IdentityBalancedSampler  # noqa: F401
