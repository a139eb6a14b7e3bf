# Copyright (c) mmhier contributors. All rights reserved.
from .reid_head import ReIDHead  # noqa: F401
from .reid_model import ReIDModel  # noqa: F401
