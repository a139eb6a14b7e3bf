# Copyright (c) mmhier contributors. All rights reserved.
"""Shared pytest setup: tests run on CPU with one thread per process so that
the suite behaves the same on a 2-core CI machine as on a workstation.

Fixture ``toy_taxonomy``: the toy label tree of ``data/toy_tree_taxonomy.py``
with a test file's own changes."""
import copy
import os
import os.path as osp
from functools import lru_cache

os.environ.setdefault('OMP_NUM_THREADS', '1')

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)

TOY_TREE_FILE = osp.join(
    osp.dirname(osp.abspath(__file__)), 'data', 'toy_tree_taxonomy.py')


@lru_cache(maxsize=1)
def _toy_tree_file() -> dict:
    from mmengine.config import Config
    return Config.fromfile(TOY_TREE_FILE)['taxonomy'].to_dict()


def load_toy_taxonomy(datasets=None, **overrides) -> dict:
    """The ``taxonomy`` dict of ``data/toy_tree_taxonomy.py``, changed.

    Args:
        datasets (dict, optional): ``{dataset: spec}``; a spec is merged
            into the file's spec of that dataset (a new name adds one), None
            removes the dataset.
        **overrides: Top-level keys (``name``, ``level_weights``, ...) to
            replace; None removes the key (the tree's default applies).

    Returns:
        dict: A fresh copy, free to change further.
    """
    taxonomy = copy.deepcopy(_toy_tree_file())
    for key, value in overrides.items():
        if value is None:
            taxonomy.pop(key, None)
        else:
            taxonomy[key] = copy.deepcopy(value)
    for name, spec in (datasets or {}).items():
        if spec is None:
            taxonomy['datasets'].pop(name)
        else:
            merged = taxonomy['datasets'].setdefault(name, {})
            merged.update(copy.deepcopy(spec))
    return taxonomy


@pytest.fixture
def toy_taxonomy():
    """Factory ``toy_taxonomy(datasets=None, **overrides) -> dict``, see
    :func:`load_toy_taxonomy`."""
    return load_toy_taxonomy
