# Copyright (c) mmhier contributors. All rights reserved.
from . import (data_preprocessors, heads, losses, reid, segmentors,  # noqa: F401
               uda)
