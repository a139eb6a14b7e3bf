# Copyright (c) mmhier contributors. All rights reserved.
from . import heads, losses, reid, uda  # noqa: F401
