# Copyright (c) mmhier contributors. All rights reserved.
from . import samplers, transforms  # noqa: F401
