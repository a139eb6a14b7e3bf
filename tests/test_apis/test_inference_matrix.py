# Copyright (c) mmhier contributors. All rights reserved.
"""Every shipped segmentation config through the inference entry points a
mmseg user reaches for: mmseg's own ``MMSegInferencer`` and
``init_model`` / ``inference_model``, and mmhier's ``HierSegInferencer``
(per-level decisions), on a random-weight checkpoint saved as the runner
saves one. The labels must agree between the three paths, cover the input
image and index the model's classes."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    osp.relpath(p, REPO) for folder in ('hier', 'flat', 'baselines')
    for p in glob.glob(osp.join(REPO, 'configs', folder, '*.py')))
# the paper-size models (ResNet-50-D8 at 520x706) cost seconds per image
# on a CPU: one of them stands for the others
CONFIGS = [
    c for c in CONFIGS if 'r50' not in c
] + ['configs/hier/hier_r50-d8_1xb4-160k_cvg-512x706.py']


@pytest.fixture
def checkpoint(tmp_path, monkeypatch, request, save_random_checkpoint):
    monkeypatch.chdir(REPO)  # the configs' taxonomy paths are relative
    path = tmp_path / 'model.pth'
    model = save_random_checkpoint(request.param, path)
    return request.param, str(path), model


@pytest.mark.parametrize('checkpoint', CONFIGS, indirect=True)
def test_inferencers_agree(checkpoint):
    from mmseg.apis import MMSegInferencer, inference_model
    from mmseg.apis import init_model as mmseg_init_model

    from mmhier.apis import HierSegInferencer, model_taxonomy
    config, path, model = checkpoint
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (40, 72, 3), dtype=np.uint8)
    num_classes = len(model.dataset_meta['classes'])

    stock = MMSegInferencer(model=config, weights=path, device='cpu')
    sample = stock(img, return_datasamples=True)
    labels = sample.pred_sem_seg.data[0]
    assert labels.shape == img.shape[:2]
    assert 0 <= int(labels.min()) and int(labels.max()) < num_classes

    seg = mmseg_init_model(config, path, device='cpu')
    api = inference_model(seg, img)
    assert torch.equal(api.pred_sem_seg.data[0], labels)

    ours = HierSegInferencer(model=config, weights=path, device='cpu')
    sample = ours(img, return_datasamples=True)
    assert torch.equal(sample.pred_sem_seg.data[0], labels)
    if model_taxonomy(model) is None:  # mmseg's FCN: no tree, no levels
        assert 'pred_level_sem_seg' not in sample
        return
    levels = sample.pred_level_sem_seg.data
    assert levels.shape[1:] == img.shape[:2]
    # level 1 is decided everywhere but on the flat GTSDB model's extra
    # "unlabeled" class, which is the tree's root node (no level); a node id
    # per level, -1 below the leaf
    tree = model_taxonomy(model)
    classes = list(model.dataset_meta['classes'])
    root = tree.node_names[tree.root]
    undecided = torch.zeros_like(labels, dtype=torch.bool)
    if root in classes:
        undecided = labels == classes.index(root)
    assert torch.equal(levels[0] < 0, undecided)
    assert (levels[:, undecided] < 0).all()
    assert ours.model.dataset_meta['classes'] == \
        stock.model.dataset_meta['classes']


PRUNED = [
    'configs/hier/hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py',
    'configs/flat/flat_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py',
]


@pytest.mark.parametrize('config', PRUNED)
def test_pruned_checkpoint_through_our_init_path(config, tmp_path,
                                                 monkeypatch,
                                                 save_random_checkpoint):
    """A checkpoint whose backbone was pruned 50% (with its plain-data
    history, as the pruning hook and tool save it) runs through
    ``HierSegInferencer`` and ``tools/infer.py`` with the same labels as the
    pruned model itself. (mmseg's stock inferencer builds the unpruned
    shapes and skips the mismatched weights with a logged warning: it must
    not be used on pruned checkpoints.)"""
    import runpy
    import sys

    import mmcv
    from mmseg.apis import inference_model

    from mmhier.apis import HierSegInferencer
    monkeypatch.chdir(REPO)
    path = tmp_path / 'pruned.pth'
    model = save_random_checkpoint(config, path, pruned=True)
    img = np.random.default_rng(1).integers(0, 256, (40, 72, 3),
                                            dtype=np.uint8)
    expected = inference_model(model, img).pred_sem_seg.data[0]

    ours = HierSegInferencer(model=config, weights=str(path), device='cpu')
    sample = ours(img, return_datasamples=True)
    assert torch.equal(sample.pred_sem_seg.data[0], expected)
    assert 'pred_level_sem_seg' in sample

    img_file = tmp_path / 'street.png'
    mmcv.imwrite(img[..., ::-1], str(img_file))  # RGB -> BGR file
    out = tmp_path / 'vis'
    monkeypatch.setattr(sys, 'argv', [
        'tools/infer.py', config, str(path), str(img_file), '--out-dir',
        str(out), '--device', 'cpu'])
    runpy.run_path(osp.join(REPO, 'tools', 'infer.py'), run_name='__main__')
    drawn = mmcv.imread(str(out / 'street.png'))
    assert drawn.shape[0] == img.shape[0] and drawn.shape[1] > img.shape[1]
