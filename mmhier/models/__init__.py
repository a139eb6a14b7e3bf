# Copyright (c) mmhier contributors. All rights reserved.
from . import (data_preprocessors, heads, losses, reid,  # noqa: F401
               segmentors, uda)
