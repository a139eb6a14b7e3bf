# Copyright (c) mmhier contributors. All rights reserved.
"""tools/analysis/browse_dataset.py on the synthetic three-dataset config."""
import os
import os.path as osp

import mmcv
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import set_random_seed
from tool_runs import REPO, load_tool_module

CONFIG = osp.join(REPO, 'configs', 'hier',
                  'hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py')
TRAIN_ROOTS = ('cityscapes', 'mapillary_vistas', 'gtsdb')


@pytest.fixture(scope='module')
def browse():
    return load_tool_module('tools/analysis/browse_dataset.py')


def _options(data_root):
    return [
        f'train_dataloader.dataset.datasets.{i}.data_root='
        f'{osp.join(data_root, name)}' for i, name in enumerate(TRAIN_ROOTS)
    ]


def _replay(browse, data_root, names, max_per_dataset, seed=0):
    """The samples the tool drew, drawn again with the same seed."""
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(
        dict(o.split('=', 1) for o in _options(data_root)))
    set_random_seed(seed)
    dataset = browse.build_dataset(cfg)
    return dataset, list(
        browse.iter_samples(dataset, names, max_per_dataset))


def test_one_image_per_sample(browse, synthetic_root, tmp_path):
    out = tmp_path / 'all'
    written = browse.main([
        CONFIG, '--output-dir', str(out), '--max', '2', '--not-show',
        '--cfg-options', *_options(synthetic_root)
    ])
    expected = sorted(f'{name}_{i:05d}.png' for name in TRAIN_ROOTS
                      for i in range(2))
    assert sorted(os.listdir(out)) == expected
    assert sorted(osp.basename(f) for f in written) == expected
    # all of a source's samples when --max is not given
    dataset, _ = _replay(browse, synthetic_root, ['gtsdb'], 0)
    num = len(dict(browse.sources(dataset))['gtsdb'])
    assert num > 2
    out = tmp_path / 'gtsdb'
    browse.main([
        CONFIG, '--output-dir', str(out), '--dataset', 'gtsdb',
        '--not-show', '--cfg-options', *_options(synthetic_root)
    ])
    assert sorted(os.listdir(out)) == [
        f'gtsdb_{i:05d}.png' for i in range(num)
    ]
    with pytest.raises(KeyError, match='no source dataset named'):
        browse.main([
            CONFIG, '--output-dir', str(out), '--dataset', 'kitti',
            '--not-show', '--cfg-options', *_options(synthetic_root)
        ])


def test_weak_box_pixels_take_the_box_colour(browse, synthetic_root,
                                             tmp_path):
    browse.main([
        CONFIG, '--output-dir', str(tmp_path), '--dataset', 'gtsdb',
        '--max', '3', '--seed', '3', '--not-show', '--cfg-options',
        *_options(synthetic_root)
    ])
    dataset, samples = _replay(browse, synthetic_root, ['gtsdb'], 3, seed=3)
    tree = dataset.tree
    checked = 0
    for name, idx, item in samples:
        drawn = mmcv.imread(osp.join(tmp_path, f'{name}_{idx:05d}.png'),
                            channel_order='rgb')
        codes = item['data_samples'].gt_sem_seg.data[0].numpy()
        # a GTSDB training sample holds weak codes and ignore only
        weak_codes = [c for c in np.unique(codes) if c != 255]
        assert weak_codes and all(tree.code_is_weak[c] for c in weak_codes)
        stripes = browse.hatch_mask(*codes.shape)
        assert stripes[0, 0] and stripes[0, 1] and not stripes[0, 2]
        for code in weak_codes:
            node = int(tree.code_to_node[code])
            assert tree.encode(node, weak=True) == code
            colour = tree.node_palette[node]
            on_stripes = drawn[(codes == code) & stripes]
            assert len(on_stripes) >= 10
            assert (on_stripes == colour).all(), (name, idx, code)
            checked += 1
    assert checked >= 3


def test_pixel_labels_blend_the_node_colour(browse, synthetic_root,
                                            tmp_path):
    browse.main([
        CONFIG, '--output-dir', str(tmp_path), '--dataset', 'cityscapes',
        '--max', '1', '--without-labels', '--not-show', '--cfg-options',
        *_options(synthetic_root)
    ])
    dataset, [(name, idx, item)] = _replay(browse, synthetic_root,
                                           ['cityscapes'], 1)
    drawn = mmcv.imread(osp.join(tmp_path, f'{name}_{idx:05d}.png'),
                        channel_order='rgb').astype(np.float64)
    image = item['inputs'].permute(1, 2, 0).numpy()[..., ::-1]
    codes = item['data_samples'].gt_sem_seg.data[0].numpy()
    tree = dataset.tree
    alpha = 0.8  # SegLocalVisualizer's default; the config sets none
    labelled = codes != 255
    assert labelled.mean() > 0.5
    assert not tree.code_is_weak[codes[labelled]].any()
    # a per-pixel code is its node's id
    colour = tree.node_palette[np.where(labelled, codes, 0)]
    expected = np.floor(image * (1 - alpha) + colour * alpha)
    # ignored pixels: the image dimmed by 1 - alpha (mmseg's unlabelled)
    expected[~labelled] = np.floor(image[~labelled] * (1 - alpha))
    # (1: float rounding of the blend)
    assert np.abs(drawn - expected).max() <= 1
