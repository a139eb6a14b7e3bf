# Copyright (c) mmhier contributors. All rights reserved.
"""A damaged or foreign checkpoint on every path a checkpoint takes:
``tools/train.py --resume``, ``tools/test.py``, ``tools/infer.py``,
``MMSegInferencer`` / ``HierSegInferencer``, ``mmhier.apis.init_model`` and
MMT's ``peer_init``. Each must fail with an error that names the file and
says what is wrong (truncated, not a checkpoint, or a pickle that
``weights_only=True`` refuses), and never load it unsafely."""
import os.path as osp
import pickle
import runpy
import sys

import pytest
import torch
from tool_runs import REPO, run_tool

FCN = ('configs/baselines/'
       'fcn_r18-tiny-d8_1xb4-100i_synthetic-cityscapes-128x128.py')
FLAT = 'configs/flat/flat_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py'


class _Unknown:
    """A class nobody allow-listed."""


@pytest.fixture(scope='module')
def damaged(tmp_path_factory):
    """A truncated checkpoint (a kill during the write), a file that is no
    checkpoint, and a pickle of an object ``weights_only`` refuses."""
    tmp = tmp_path_factory.mktemp('damaged')
    good = tmp / 'good.pth'
    torch.save({'state_dict': {'w': torch.arange(256.)}, 'meta': {}}, good)
    data = good.read_bytes()
    (tmp / 'truncated.pth').write_bytes(data[:len(data) // 3])
    with open(tmp / 'results.pth', 'wb') as f:
        pickle.dump({'mIoU': 1.0}, f)
    (tmp / 'notes.pth').write_text('weights are on the other disk\n')
    torch.save({'state_dict': {}, 'obj': _Unknown()}, tmp / 'object.pth')
    return dict(
        truncated=(str(tmp / 'truncated.pth'), 'truncated'),
        pickle=(str(tmp / 'results.pth'), 'not a torch checkpoint'),
        text=(str(tmp / 'notes.pth'), 'not a PyTorch checkpoint'),
        refused=(str(tmp / 'object.pth'), 'weights_only=True) refuses'))


def _check(message, path, reason):
    assert path in message, message[-3000:]
    assert reason in message, message[-3000:]


def _run_failing_tool(*args):
    return run_tool(*args, expect_failure=True).stdout


@pytest.fixture(scope='module')
def cityscapes_root(tmp_path_factory):
    from mmhier.datasets.synthetic import generate
    out = tmp_path_factory.mktemp('data')
    generate(str(out), seed=0, num_train=2, num_val=1,
             datasets=['cityscapes'])
    return str(out / 'cityscapes')


def _data_options(root):
    options = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options += [f'{loader}.dataset.data_root={root}',
                    f'{loader}.num_workers=0',
                    f'{loader}.persistent_workers=False']
    return options


def test_tools_test_py(damaged, cityscapes_root, tmp_path):
    path, reason = damaged['truncated']
    out = _run_failing_tool('tools/test.py', FCN, path, '--work-dir',
                            str(tmp_path), '--cfg-options',
                            *_data_options(cityscapes_root))
    _check(out, path, reason)
    assert 'CheckpointError' in out


def test_tools_train_py_resume(damaged, cityscapes_root, tmp_path):
    path, reason = damaged['text']
    out = _run_failing_tool('tools/train.py', FCN, '--work-dir',
                            str(tmp_path), '--resume', path, '--cfg-options',
                            *_data_options(cityscapes_root),
                            'train_cfg.max_iters=1')
    _check(out, path, reason)
    assert 'CheckpointError' in out


def test_tools_infer_py(damaged, tmp_path, monkeypatch):
    path, reason = damaged['refused']
    monkeypatch.chdir(REPO)  # the config's taxonomy paths are repo-relative
    img = tmp_path / 'img.png'
    img.write_bytes(b'')  # never read: the checkpoint fails first
    monkeypatch.setattr(sys, 'argv', [
        'tools/infer.py', FLAT, path, str(img), '--out-dir',
        str(tmp_path / 'out')
    ])
    from mmhier.utils import CheckpointError
    with pytest.raises(CheckpointError) as err:
        runpy.run_path(osp.join(REPO, 'tools', 'infer.py'),
                       run_name='__main__')
    _check(str(err.value), path, reason)


def _segmentor_config(tmp_path):
    from pruning_tiny_models import segmentor_cfg, write_model_config
    return write_model_config(tmp_path / 'seg.py', segmentor_cfg())


@pytest.mark.parametrize('kind', ['truncated', 'pickle'])
def test_inferencers_and_init_pruned_model(damaged, tmp_path, kind):
    from mmseg.apis import MMSegInferencer

    from mmhier.apis import HierSegInferencer, init_model
    from mmhier.utils import CheckpointError
    path, reason = damaged[kind]
    config = _segmentor_config(tmp_path)
    for load in (lambda: init_model(config, path),
                 lambda: HierSegInferencer(config, path, device='cpu'),
                 lambda: MMSegInferencer(config, path, device='cpu')):
        with pytest.raises(CheckpointError) as err:
            load()
        _check(str(err.value), path, reason)


def test_mmt_peer_init(damaged):
    from mmengine.registry import init_default_scope

    from mmhier.registry import MODELS
    from mmhier.utils import CheckpointError
    path, reason = damaged['truncated']
    init_default_scope('mmhier')  # the inferencers above set 'mmseg'
    model = MODELS.build(
        dict(
            type='MMT',
            model=dict(
                type='ReIDModel',
                backbone=dict(type='mmpretrain.ResNet', depth=18,
                              base_channels=8, stem_channels=8,
                              out_indices=(3, )),
                neck=dict(type='mmpretrain.GlobalAveragePooling'),
                head=dict(type='ReIDHead', in_channels=64, num_classes=4)),
            peer_init=path))
    with pytest.raises(CheckpointError) as err:
        model.init_weights()
    _check(str(err.value), path, reason)
