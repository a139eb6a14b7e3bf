# Copyright (c) mmhier contributors. All rights reserved.
import os.path as osp

import mmcv
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmhier.datasets.reid import (DukeMTMCDataset, Market1501Dataset,
                                  MSMT17Dataset)
from mmhier.registry import DATASETS


# MMEngine's data serialisation runs gc.collect() (~0.7 s here); not needed
# for a handful of items.
FAST = dict(serialize_data=False)


def _items(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def _write(folder, names):
    for name in names:
        img = np.full((8, 4, 3), len(name) * 7 % 255, dtype=np.uint8)
        mmcv.imwrite(img, osp.join(folder, name))


@pytest.fixture
def market_root(tmp_path):
    _write(tmp_path / 'bounding_box_train', [
        '0007_c2s1_000100_01.jpg', '0002_c1s1_000050_00.jpg',
        '0002_c3s2_000120_00.jpg', '-1_c1s1_000001_00.jpg'
    ])
    _write(tmp_path / 'query', ['0002_c1s1_000060_00.jpg'])
    _write(tmp_path / 'bounding_box_test', [
        '0002_c2s1_000070_00.jpg', '0000_c3s1_000010_00.jpg',
        '-1_c1s1_000011_00.jpg'
    ])
    return str(tmp_path)


def test_market_train_relabels_and_drops_junk(market_root):
    ds = Market1501Dataset(data_root=market_root, split='train', **FAST)
    assert len(ds) == 3  # the -1 junk box is dropped
    items = [ds.get_data_info(i) for i in range(len(ds))]
    # raw pids {2, 7} -> labels {0, 1} in sorted order; cameras 0-based
    assert [(d['pid'], d['gt_label'], d['camid']) for d in items] == [
        (2, 0, 0), (2, 0, 2), (7, 1, 1)
    ]
    assert [d['sample_idx'] for d in items] == [0, 1, 2]
    assert not any(d['is_query'] for d in items)
    assert ds.num_pids == 2


def test_market_test_split_keeps_distractors(market_root):
    ds = Market1501Dataset(data_root=market_root, split='test', **FAST)
    items = [ds.get_data_info(i) for i in range(len(ds))]
    assert [d['is_query'] for d in items] == [True, False, False]
    # gallery: distractor pid 0 kept, junk -1 dropped, raw pid as gt_label
    assert sorted(d['pid'] for d in items[1:]) == [0, 2]
    assert all(d['gt_label'] == d['pid'] for d in items)
    assert len(Market1501Dataset(market_root, split='gallery', **FAST)) == 2


def test_pipeline_packs_reid_meta(market_root):
    init_default_scope('mmhier')
    ds = DATASETS.build(
        dict(
            type='Market1501Dataset',
            data_root=market_root,
            split='test',
            serialize_data=False,  # skips MMEngine's 0.7 s gc.collect()
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='Resize', scale=(32, 64)),
                dict(
                    type='mmpretrain.PackInputs',
                    meta_keys=('sample_idx', 'img_path', 'pid', 'camid',
                               'is_query'))
            ]))
    out = ds[0]
    assert tuple(out['inputs'].shape) == (3, 64, 32)
    ds0 = out['data_samples']
    assert ds0.is_query and ds0.pid == 2 and ds0.camid == 0
    assert ds0.sample_idx == 0 and int(ds0.gt_label) == 2


def test_bad_name_empty_query_and_bad_camera(tmp_path, market_root):
    _write(osp.join(market_root, 'query'), ['person_7.jpg'])
    with pytest.raises(ValueError, match='person_7.jpg'):
        Market1501Dataset(market_root, split='query', **FAST)

    empty = tmp_path / 'empty'
    _write(empty / 'bounding_box_train', ['0001_c1s1_000001_00.jpg'])
    _write(empty / 'bounding_box_test', ['0001_c2s1_000001_00.jpg'])
    (empty / 'query').mkdir()
    with pytest.raises(ValueError, match='query set .* is empty'):
        Market1501Dataset(str(empty), split='test', **FAST)

    bad_cam = tmp_path / 'badcam'
    _write(bad_cam / 'bounding_box_train', ['0001_c7s1_000001_00.jpg'])
    with pytest.raises(ValueError, match='0001_c7s1_000001_00.jpg'):
        Market1501Dataset(str(bad_cam), split='train', **FAST)
    # a Market-style folder with 8 cameras is accepted with num_cameras=8
    eight = Market1501Dataset(str(bad_cam), split='train', num_cameras=8,
                              **FAST)
    assert eight.get_data_info(0)['camid'] == 6
    with pytest.raises(ValueError, match='split'):
        Market1501Dataset(market_root, split='val')


def test_duke_names(tmp_path):
    _write(tmp_path / 'bounding_box_train',
           ['0005_c8_f0046182.jpg', '0001_c2_f0046181.jpg'])
    ds = DukeMTMCDataset(str(tmp_path), split='train', **FAST)
    assert [(d['pid'], d['gt_label'], d['camid'])
            for d in _items(ds)] == [(1, 0, 1), (5, 1, 7)]


def test_msmt17_lists(tmp_path):
    root = tmp_path / 'MSMT17_V1'
    _write(root / 'train', ['0000/0000_000_01_0303morning_0015_0.jpg',
                            '0001/0001_000_15_0303noon_0100_1.jpg'])
    _write(root / 'test', ['0000/0000_000_03_0303morning_0016_0.jpg',
                           '0000/0000_001_05_0303noon_0020_0.jpg'])
    (root / 'list_train.txt').write_text(
        '0000/0000_000_01_0303morning_0015_0.jpg 0\n')
    (root / 'list_val.txt').write_text(
        '0001/0001_000_15_0303noon_0100_1.jpg 1\n')
    (root / 'list_query.txt').write_text(
        '0000/0000_000_03_0303morning_0016_0.jpg 0\n')
    (root / 'list_gallery.txt').write_text(
        '0000/0000_001_05_0303noon_0020_0.jpg 0\n')
    train = MSMT17Dataset(str(root), split='train', **FAST)
    assert [(d['pid'], d['camid']) for d in _items(train)] == [(0, 0),
                                                               (1, 14)]
    assert _items(train)[1]['img_path'] == str(
        root / 'train' / '0001/0001_000_15_0303noon_0100_1.jpg')
    test = MSMT17Dataset(str(root), split='test', **FAST)
    assert [(d['camid'], d['is_query']) for d in _items(test)] == [
        (2, True), (4, False)
    ]
    (root / 'list_query.txt').write_text('0000/bad_name.jpg 0\n')
    with pytest.raises(ValueError, match='bad_name.jpg'):
        MSMT17Dataset(str(root), split='query', **FAST)
    (root / 'list_query.txt').write_text('0000/x.jpg\n')
    with pytest.raises(ValueError, match='list_query.txt:1'):
        MSMT17Dataset(str(root), split='query', **FAST)
