# Copyright (c) mmhier contributors. All rights reserved.
from . import data_preprocessors, heads, losses, reid, uda  # noqa: F401
