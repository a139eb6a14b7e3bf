# Copyright (c) mmhier contributors. All rights reserved.
"""Make ``pruning_tiny_models`` importable (pytest runs with
``--import-mode=importlib``, which does not put test folders on sys.path)."""
import os.path as osp
import sys

HERE = osp.dirname(osp.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
