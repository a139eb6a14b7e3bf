# Copyright (c) mmhier contributors. All rights reserved.
"""tools/infer.py on a flat baseline (levels from the taxonomy, coarse
classes included) and its errors, in process."""
import os.path as osp
import runpy
import sys

import mmcv
import numpy as np
import pytest
import torch

from mmhier.apis import inference_levels, init_model
from mmhier.taxonomy import LabelTree

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FLAT = 'configs/flat/flat_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py'
HIER = 'configs/hier/hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py'


def _infer(monkeypatch, *args):
    monkeypatch.setattr(sys, 'argv', ['tools/infer.py', *args])
    runpy.run_path(osp.join(REPO, 'tools', 'infer.py'), run_name='__main__')


@pytest.fixture
def flat_ckpt(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)  # taxonomy paths are repo-relative
    torch.manual_seed(0)
    model = init_model(FLAT)
    path = str(tmp_path / 'flat.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return path


def test_flat_model_levels_from_taxonomy(flat_ckpt, tmp_path, monkeypatch):
    img = (np.arange(40 * 56 * 3) % 251).astype(np.uint8).reshape(40, 56, 3)
    path = str(tmp_path / 'street.jpg')
    mmcv.imwrite(img, path)
    model = init_model(FLAT, flat_ckpt)
    sample = inference_levels(model, path)
    levels = sample.pred_level_sem_seg.data
    tree = LabelTree.build(model.cfg.taxonomy)
    assert levels.shape == (tree.depth, 40, 56)
    # level 1 holds the root's children (the predicted class's ancestor)
    root_children = set(tree.children(0))
    assert set(levels[0].unique().tolist()) <= root_children

    out_dir = tmp_path / 'out'
    _infer(monkeypatch, FLAT, flat_ckpt, path, '--out-dir', str(out_dir))
    canvas = mmcv.imread(str(out_dir / 'street.png'))
    assert canvas.shape == (40, (tree.depth + 2) * 56, 3)


def test_errors_name_the_culprit(flat_ckpt, tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match='nowhere'):
        _infer(monkeypatch, FLAT, flat_ckpt, str(tmp_path / 'nowhere'),
               '--out-dir', str(tmp_path))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='no image'):
        _infer(monkeypatch, FLAT, flat_ckpt, str(tmp_path / 'empty'),
               '--out-dir', str(tmp_path))
    # a flat checkpoint does not fit the hierarchical model
    with pytest.raises(KeyError, match='flat.pth'):
        init_model(HIER, flat_ckpt)


def test_fast_backend_draws_the_same(flat_ckpt, tmp_path, monkeypatch):
    """--backend pytorch-fast in batches of 2 (3 images of one size: no
    padding; two loading threads) draws the panels of the pytorch backend,
    pixel for pixel."""
    src = tmp_path / 'imgs'
    src.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        small = rng.integers(0, 256, (5, 7, 3)).astype(np.uint8)
        mmcv.imwrite(mmcv.imresize(small, (56, 40)), str(src / f'{i}.png'))
    _infer(monkeypatch, FLAT, flat_ckpt, str(src), '--out-dir',
           str(tmp_path / 'plain'))
    _infer(monkeypatch, FLAT, flat_ckpt, str(src), '--out-dir',
           str(tmp_path / 'fast'), '--backend', 'pytorch-fast',
           '--batch-size', '2', '--channels-last', '--num-workers', '2')
    for i in range(3):
        plain = mmcv.imread(str(tmp_path / 'plain' / f'{i}.png'))
        fast = mmcv.imread(str(tmp_path / 'fast' / f'{i}.png'))
        assert plain.shape == (40, 56 * 5, 3)
        assert np.array_equal(plain, fast)
    with pytest.raises(SystemExit):  # fast options need the fast backend
        _infer(monkeypatch, FLAT, flat_ckpt, str(src), '--out-dir',
               str(tmp_path), '--amp', 'bf16')
    with pytest.raises(SystemExit):
        _infer(monkeypatch, FLAT, flat_ckpt, str(src), '--out-dir',
               str(tmp_path), '--num-workers', '2')
