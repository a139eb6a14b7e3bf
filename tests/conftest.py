# Copyright (c) mmhier contributors. All rights reserved.
"""Shared pytest setup: tests run on CPU with one thread per process so that
the suite behaves the same on a 2-core CI machine as on a workstation."""
import os

os.environ.setdefault('OMP_NUM_THREADS', '1')

import torch  # noqa: E402

torch.set_num_threads(1)
