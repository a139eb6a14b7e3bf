# Copyright (c) mmhier contributors. All rights reserved.
from .ratio_sampler import MultiSourceRatioSampler  # noqa: F401
from .identity_sampler import IdentityBalancedSampler  # noqa: F401
