# Copyright (c) mmhier contributors. All rights reserved.
"""Shared pytest setup: tests run on CPU with one thread per process so that
the suite behaves the same on a 2-core CI machine as on a workstation.

Fixture ``toy_taxonomy``: the toy label tree of ``data/toy_tree_taxonomy.py``
with a test file's own changes. Fixture ``save_random_checkpoint``: a
config's model with random weights saved as the runner saves it, optionally
with its backbone pruned by half.

The modules of ``helpers/`` (tiny models, tool runners, training configs
shared by several test folders) are importable by name: pytest runs with
``--import-mode=importlib``, which puts no test folder on ``sys.path``."""
import copy
import os
import os.path as osp
import sys
from functools import lru_cache

os.environ.setdefault('OMP_NUM_THREADS', '1')
HELPERS = osp.join(osp.dirname(osp.abspath(__file__)), 'helpers')
if HELPERS not in sys.path:
    sys.path.insert(0, HELPERS)

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


def save_random_checkpoint(config: str, path, pruned: bool = False):
    """Build ``config``'s model (seed 0, random weights) with
    :func:`mmhier.apis.init_model` and save it at ``path`` as the runner
    does, with ``dataset_meta``; with ``pruned``, its backbone is first
    pruned by half and the plain-data pruning history saved in the meta (as
    the pruning hook and ``tools/analysis/prune.py`` do). The configs'
    relative taxonomy paths resolve from the working directory.

    Returns:
        nn.Module: The saved model.
    """
    from mmhier.apis import init_model
    from mmhier.pruning import PruningHistory, PruningPlanner
    torch.manual_seed(0)
    model = init_model(config)
    meta = dict(dataset_meta=model.dataset_meta)
    if pruned:
        ops = PruningPlanner(ignored_layers=[r'^decode_head\.']).step(
            model, torch.randn(1, 3, 64, 64), 0.5)
        assert ops, f'{config}: nothing pruned'
        meta['pruning_history'] = PruningHistory([
            dict(source='test', module='', targets=[''], ratio=0.5,
                 step=1, num_steps=1, ops=ops)
        ]).to_meta()
    torch.save(dict(state_dict=model.state_dict(), meta=meta), str(path))
    return model


@pytest.fixture(name='save_random_checkpoint')
def save_random_checkpoint_fixture():
    """:func:`save_random_checkpoint`, for test folders that cannot import
    the root conftest."""
    return save_random_checkpoint
