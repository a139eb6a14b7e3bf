# Copyright (c) mmhier contributors. All rights reserved.
"""tools/experiments/prune_finetune_tiny.py: the derived fine-tuning
configs (offline pruning + replay vs PruningHook inside the fine-tuning)
and the argument checks."""
import importlib.util
import os.path as osp
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FOLDER = osp.join(REPO, 'tools', 'experiments')


@pytest.fixture
def pft(monkeypatch):
    # run as a script, the driver finds ``common`` in its own folder
    monkeypatch.syspath_prepend(FOLDER)
    monkeypatch.chdir(REPO)
    spec = importlib.util.spec_from_file_location(
        'prune_finetune_tiny', osp.join(FOLDER, 'prune_finetune_tiny.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _args(pft, monkeypatch, *argv):
    monkeypatch.setattr(sys, 'argv', ['prune_finetune_tiny.py', *argv])
    args = pft.parse_args()
    args.data_root = '/elsewhere'
    return args


def test_defaults_prune_offline_and_replay(pft, monkeypatch):
    # the documented recipe: 800 + 400 iterations, one-shot L2 magnitude,
    # fine-tuning at the config's learning rate (0.05)
    args = _args(pft, monkeypatch)
    assert (args.train_iters, args.finetune_iters, args.finetune_lr,
            args.importance, args.iterative_steps) == (800, 400, None,
                                                       'magnitude', 1)
    assert not pft.prunes_in_training(args)
    cfg = pft.derive_config(args, 400, load_from='pruned.pth', replay=True,
                            lr=args.finetune_lr)
    assert cfg.load_from == 'pruned.pth'
    assert cfg.optim_wrapper.optimizer.lr == 0.05
    assert cfg.train_cfg.max_iters == 400
    assert [s.end for s in cfg.param_scheduler] == [400]
    cfg = pft.derive_config(args, 40, load_from='pruned.pth', replay=True,
                            lr=0.01)
    assert cfg.optim_wrapper.optimizer.lr == 0.01
    assert [s.end for s in cfg.param_scheduler] == [40]
    assert cfg.custom_hooks[-1] == dict(type='PruningHook', ratio=None)
    assert cfg.train_dataloader.dataset.data_root == '/elsewhere/cityscapes'
    # the training config has no pruning hook and the config's lr
    train = pft.derive_config(args, 800)
    assert train.optim_wrapper.optimizer.lr == 0.05
    assert not any(h.type == 'PruningHook'
                   for h in train.get('custom_hooks') or [])


def test_iterative_and_taylor_prune_in_the_finetuning(pft, monkeypatch):
    args = _args(pft, monkeypatch, '--finetune-iters', '400',
                 '--iterative-steps', '4', '--prune-interval', '50',
                 '--layers', r'^backbone\.layer')
    assert pft.prunes_in_training(args)
    cfg = pft.derive_config(args, 400, load_from='trained.pth', prune=True)
    assert cfg.load_from == 'trained.pth'
    assert cfg.custom_hooks[-1] == dict(
        type='PruningHook', ratio=0.5, layers=[r'^backbone\.layer'],
        importance='magnitude', iterative_steps=4, interval=50)
    # one Taylor step at iteration 0 also runs in the fine-tuning
    args = _args(pft, monkeypatch, '--importance', 'taylor')
    assert pft.prunes_in_training(args)
    hook = pft.derive_config(args, 200, prune=True).custom_hooks[-1]
    assert (hook.importance, hook.iterative_steps) == ('taylor', 1)


@pytest.mark.parametrize('argv, match', [
    (['--iterative-steps', '5', '--prune-interval', '50',
      '--finetune-iters', '200'], 'falls outside'),
    (['--iterative-steps', '0'], 'must be >= 1'),
    (['--ratio', '1.0'], r'\(0, 1\)'),
])
def test_bad_arguments(pft, monkeypatch, argv, match):
    monkeypatch.setattr(sys, 'argv', ['prune_finetune_tiny.py', *argv])
    with pytest.raises(ValueError, match=match):
        pft.parse_args()
