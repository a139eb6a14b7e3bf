# Copyright (c) mmhier contributors. All rights reserved.
from . import hooks, optimizers  # noqa: F401
from .ddp_wrapper import CommHookDistributedDataParallel  # noqa: F401
