# Copyright (c) mmhier contributors. All rights reserved.
"""Loaders on tiny files written in the real Cityscapes / Vistas / GTSDB
layouts, through the pipeline transforms up to the packed data sample."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image

from mmhier.datasets import (CityscapesExtendedDataset, GTSDBDataset,
                             HierCityscapesDataset,
                             HierMapillaryVistasDataset)
from mmhier.registry import DATASETS
from mmhier.taxonomy import UnknownLabelError

TOY = osp.join(osp.dirname(__file__), '..', 'data', 'hier_toy_taxonomy.py')
I = 255  # noqa: E741


@pytest.fixture(autouse=True)
def _mmhier_scope():
    # datasets build their pipeline in the current default scope, as under a
    # runner with ``default_scope='mmhier'``
    init_default_scope('mmhier')


# toy codes: 1 sky, 2 driveable, 3 person, 4 traffic sign, 5 road,
# 6 lane marking, 7 sign back, 8 sign front, 9/10/11 circle/triangle/stop
# signs, weak 12/13/14.
CITY_IDS = np.array([[0, 1, 1, 2], [3, 4, 5, 2]], np.uint8)
CITY_CODES = [[I, 2, 2, 1], [3, 4, I, 1]]
VISTAS_IDS = np.array([[0, 1, 2], [5, 4, 6]], np.uint8)
VISTAS_CODES = [[1, 5, 6], [8, 7, I]]


def _rgb(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 255, (h, w, 3), np.uint8)


def _save(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(array, mode) if mode else Image.fromarray(array)
    if mode == 'P':
        img.putpalette(list(np.arange(256 * 3) % 256))
    img.save(path)
    return path


def _pipeline(*extra, keys=True):
    steps = [dict(type='LoadImageFromFile'), *extra]
    if keys:
        steps.append(dict(type='PackHierSegInputs'))
    return steps


def _cityscapes(root, ids=CITY_IDS, sign_ids=None, split='train'):
    stem = 'aachen_000000_000019'
    _save(root / 'leftImg8bit' / split / 'aachen' / f'{stem}_leftImg8bit.png',
          _rgb(*ids.shape))
    _save(root / 'gtFine' / split / 'aachen' / f'{stem}_gtFine_labelIds.png',
          ids, 'L')
    if sign_ids is not None:
        _save(root / 'gtFine' / split / 'aachen' /
              f'{stem}_gtFine_trafficSignIds.png', sign_ids, 'L')


def _city_kwargs(root, split='train'):
    # serialize_data=False: BaseDataset's serialisation runs gc.collect(),
    # ~1 s with torch imported, for nothing in a test
    return dict(taxonomy=TOY, data_root=str(root), serialize_data=False,
                data_prefix=dict(img_path=f'leftImg8bit/{split}',
                                 seg_map_path=f'gtFine/{split}'))


def test_cityscapes_label_ids_to_codes(tmp_path):
    _cityscapes(tmp_path)
    ds = DATASETS.build(dict(
        type='HierCityscapesDataset',
        pipeline=_pipeline(dict(type='LoadHierAnnotations', taxonomy=TOY)),
        **_city_kwargs(tmp_path)))
    assert len(ds) == 1 and ds.metainfo['dataset_name'] == 'cityscapes'
    assert ds.metainfo['classes'][:3] == ('sky', 'road', 'lane marking')
    assert ds.metainfo['eval_classes'] == ('road', 'sky', 'person',
                                           'traffic sign')
    sample = ds[0]['data_samples']
    assert sample.gt_sem_seg.data[0].tolist() == CITY_CODES
    assert sample.metainfo['dataset_name'] == 'cityscapes'
    assert sample.metainfo['img_shape'] == (2, 4)


def test_cityscapes_unknown_id_names_file_and_id(tmp_path):
    _cityscapes(tmp_path, ids=np.array([[1, 9], [2, 40]], np.uint8))
    ds = HierCityscapesDataset(
        pipeline=_pipeline(dict(type='LoadHierAnnotations', taxonomy=TOY)),
        **_city_kwargs(tmp_path))
    with pytest.raises(UnknownLabelError,
                       match=r'gtFine_labelIds.png.*\[9, 40\]'):
        ds[0]


def test_missing_label_file_is_named(tmp_path):
    _cityscapes(tmp_path)
    label = next((tmp_path / 'gtFine').rglob('*_labelIds.png'))
    label.unlink()
    with pytest.raises(FileNotFoundError, match='_gtFine_labelIds.png'):
        HierCityscapesDataset(**_city_kwargs(tmp_path))


def test_label_ids_above_255_are_not_wrapped(tmp_path):
    """mmseg's LoadAnnotations casts to uint8 first (256 -> 0, a valid id);
    ours reads 16-bit PNGs as they are and rejects the id."""
    ids = np.array([[1, 256], [2, 3]], np.uint16)
    _cityscapes(tmp_path, ids=np.zeros((2, 2), np.uint8))
    label = next((tmp_path / 'gtFine').rglob('*_labelIds.png'))
    cv2.imwrite(str(label), ids)  # 16-bit grey PNG
    ds = HierCityscapesDataset(
        pipeline=_pipeline(dict(type='LoadHierAnnotations', taxonomy=TOY)),
        **_city_kwargs(tmp_path))
    with pytest.raises(UnknownLabelError, match=r'\[256\]'):
        ds[0]


def _vistas(root, labels=None):
    labels = labels or [
        dict(name=n.lower(), readable=n) for n in
        ['Sky', 'Road', 'Lane Marking - General', 'Person',
         'Traffic Sign (Back)', 'Traffic Sign (Front)', 'Unlabeled']
    ]
    root.mkdir(parents=True, exist_ok=True)
    (root / 'config_v1.2.json').write_text(json.dumps(dict(labels=labels)))
    _save(root / 'training' / 'images' / 'k0.jpg', _rgb(2, 3))
    _save(root / 'training' / 'v1.2' / 'labels' / 'k0.png', VISTAS_IDS, 'P')


def _vistas_kwargs(root):
    return dict(taxonomy=TOY, data_root=str(root), serialize_data=False,
                data_prefix=dict(img_path='training/images',
                                 seg_map_path='training/v1.2/labels'))


def test_vistas_palette_png_and_config_check(tmp_path):
    _vistas(tmp_path)
    ds = HierMapillaryVistasDataset(
        pipeline=_pipeline(dict(type='LoadHierAnnotations', taxonomy=TOY)),
        **_vistas_kwargs(tmp_path))
    sample = ds[0]['data_samples']
    assert sample.gt_sem_seg.data[0].tolist() == VISTAS_CODES
    assert sample.metainfo['dataset_name'] == 'mapillary_vistas'


def test_vistas_config_mismatch_is_an_error(tmp_path):
    _vistas(tmp_path, labels=[dict(name='sky', readable='Sky')] * 7)
    with pytest.raises(ValueError, match=r'label id 1 is .Sky.*Road'):
        HierMapillaryVistasDataset(**_vistas_kwargs(tmp_path))
    _vistas(tmp_path, labels=[dict(name='sky', readable='Sky')] * 66)
    with pytest.raises(ValueError, match='66 labels.*declares 7'):
        HierMapillaryVistasDataset(**_vistas_kwargs(tmp_path))


def _gtsdb(root, lines, images=('00000.ppm', '00001.ppm'), hw=(4, 6)):
    folder = root / 'TrainIJCNN2013'
    for k, name in enumerate(images):
        _save(folder / name, _rgb(*hw, seed=k))
    (folder / 'gt.txt').write_text('\n'.join(lines) + '\n')


def _gtsdb_kwargs(root):
    return dict(taxonomy=TOY, data_root=str(root), serialize_data=False)


# no taxonomy in BoxToMask: the dataset hands its own tree to it
GTSDB_PIPELINE = _pipeline(
    dict(type='LoadBoxAnnotations'), dict(type='BoxToMask'))


def test_gtsdb_boxes_to_weak_codes_and_empty_images(tmp_path):
    _gtsdb(tmp_path, ['00000.ppm;0;0;1;1;0', '00000.ppm;3;1;5;3;2'])
    ds = GTSDBDataset(**_gtsdb_kwargs(tmp_path),
                      pipeline=GTSDB_PIPELINE)
    assert len(ds) == 2  # 00001.ppm has no line and is still a sample
    info = ds.get_data_info(0)
    assert info['instances'] == [
        dict(bbox=[0, 0, 2, 2], bbox_label=0),
        dict(bbox=[3, 1, 6, 4], bbox_label=2)
    ]
    assert (info['width'], info['height']) == (6, 4)
    seg = ds[0]['data_samples'].gt_sem_seg.data[0].tolist()
    assert seg == [[12, 12, I, I, I, I], [12, 12, I, 14, 14, 14],
                   [I, I, I, 14, 14, 14], [I, I, I, 14, 14, 14]]
    empty = ds[1]['data_samples']
    assert (empty.gt_sem_seg.data == I).all()
    assert empty.metainfo['dataset_name'] == 'gtsdb'


@pytest.mark.parametrize('line, error, match', [
    ('00000.ppm;0;0;1;1', ValueError, r'gt.txt, line 2 .*expected 6 fields'),
    ('00000.ppm;0;0;1;1;3', ValueError, r'gt.txt, line 2 .*class id 3 is '
     r'outside 0..2'),
    ('00000.ppm;0;0;1;1;-1', ValueError, r'line 2 .*class id -1'),
    ('00000.ppm;0;0;a;1;0', ValueError, r'line 2 .*integers'),
    ('00000.ppm;3;0;1;1;0', ValueError, r'line 2 .*right < left'),
    ('00007.ppm;0;0;1;1;0', FileNotFoundError,
     r'gt.txt, line 2: image 00007.ppm not found'),
])
def test_gtsdb_bad_lines_name_file_and_line(tmp_path, line, error, match):
    _gtsdb(tmp_path, ['00000.ppm;0;0;1;1;0', line])
    with pytest.raises(error, match=match):
        GTSDBDataset(**_gtsdb_kwargs(tmp_path))


def test_gtsdb_box_outside_image_warns_and_is_clipped(tmp_path):
    _gtsdb(tmp_path, ['', '00000.ppm;4;2;9;3;1'])
    with pytest.warns(UserWarning, match=r'gt.txt, line 2: box \[4, 2, 9, 3\]'
                      r' reaches outside image 00000.ppm \(6x4\)'):
        ds = GTSDBDataset(**_gtsdb_kwargs(tmp_path),
                          pipeline=GTSDB_PIPELINE)
    assert ds.get_data_info(0)['instances'][0]['bbox'] == [4, 2, 6, 4]
    seg = ds[0]['data_samples'].gt_sem_seg.data[0]
    assert seg[2:, 4:].eq(13).all() and (seg == 13).sum() == 4


def test_cityscapes_extended_sign_ids(tmp_path):
    sign_ids = np.array([[255, 0], [2, 255]], np.uint8)
    _cityscapes(tmp_path, ids=np.ones((2, 2), np.uint8), sign_ids=sign_ids,
                split='val')
    ds = CityscapesExtendedDataset(
        pipeline=_pipeline(dict(type='LoadHierAnnotations', taxonomy=TOY)),
        test_mode=True, **_city_kwargs(tmp_path, 'val'))
    sample = ds[0]['data_samples']
    assert sample.gt_sem_seg.data[0].tolist() == [[I, 9], [11, I]]
    assert ds.metainfo['eval_classes'] == ('speed limit', 'danger', 'stop')


def test_concat_dataset_metainfo_and_sizes(tmp_path):
    _cityscapes(tmp_path / 'cityscapes')
    _vistas(tmp_path / 'vistas')
    _gtsdb(tmp_path / 'gtsdb', ['00000.ppm;0;0;1;1;0'])
    city = _city_kwargs(tmp_path / 'cityscapes')
    city.pop('taxonomy')  # the concat dataset passes its own on
    concat = DATASETS.build(dict(
        type='HierConcatDataset',
        taxonomy=TOY,
        datasets=[
            dict(type='HierCityscapesDataset', **city,
                 pipeline=_pipeline(dict(type='LoadHierAnnotations'))),
            dict(type='HierMapillaryVistasDataset',
                 **_vistas_kwargs(tmp_path / 'vistas')),
            dict(type='GTSDBDataset', **_gtsdb_kwargs(tmp_path / 'gtsdb')),
        ]))
    assert concat.cumulative_sizes == [1, 2, 4]
    assert concat.source_sizes == [1, 1, 2]
    meta = concat.metainfo
    assert meta['dataset_names'] == ('cityscapes', 'mapillary_vistas',
                                     'gtsdb')
    assert len(meta['classes']) == 8 and len(meta['palette']) == 8
    assert concat[0]['data_samples'].gt_sem_seg.data[0].tolist() == \
        CITY_CODES
    assert [concat.source_of(i) for i in range(4)] == [
        'cityscapes', 'mapillary_vistas', 'gtsdb', 'gtsdb'
    ]


def test_sign_aware_crop_keeps_labelled_pixels():
    from mmhier.datasets.transforms import SignAwareRandomCrop
    seg = np.full((40, 60), I, np.uint8)
    seg[30:32, 50:52] = 12
    crop = SignAwareRandomCrop(crop_size=(8, 8), prob=1.0)
    np.random.seed(0)
    for _ in range(50):
        out = crop(dict(img=np.zeros((40, 60, 3), np.uint8),
                        gt_seg_map=seg.copy(), seg_fields=['gt_seg_map']))
        assert out['gt_seg_map'].shape == (8, 8)
        assert (out['gt_seg_map'] == 12).any()
    # prob=0 is the plain mmseg crop: mostly no sign in an 8x8 window
    plain = SignAwareRandomCrop(crop_size=(8, 8), prob=0.0)
    hits = sum((plain(dict(img=np.zeros((40, 60, 3), np.uint8),
                           gt_seg_map=seg.copy(),
                           seg_fields=['gt_seg_map']))['gt_seg_map'] == 12
                ).any() for _ in range(50))
    assert hits < 25


def test_sign_aware_crop_on_a_target_subtree():
    """On a per-pixel map (every pixel labelled, mostly sky), crops drawn on
    the 'traffic sign' subtree always hold the 2x2 sign patch (coarse code,
    leaf code or weak code alike); crops on any labelled pixel rarely do."""
    from mmhier.datasets.transforms import SignAwareRandomCrop
    from mmhier.taxonomy import LabelTree
    tree = LabelTree.build(TOY)
    sky = tree.encode('sky')
    for code in (tree.encode('traffic sign'), tree.encode('stop sign'), 12):
        seg = np.full((40, 60), sky, np.uint8)
        seg[30:32, 50:52] = code
        crop = SignAwareRandomCrop(crop_size=(8, 8), prob=1.0, taxonomy=TOY,
                                   target_node='traffic sign')
        np.random.seed(0)
        for _ in range(30):
            out = crop(dict(img=np.zeros((40, 60, 3), np.uint8),
                            gt_seg_map=seg.copy(),
                            seg_fields=['gt_seg_map']))
            assert (out['gt_seg_map'] == code).any()
    anywhere = SignAwareRandomCrop(crop_size=(8, 8), prob=1.0)
    hits = sum((anywhere(dict(img=np.zeros((40, 60, 3), np.uint8),
                              gt_seg_map=seg.copy(),
                              seg_fields=['gt_seg_map']))['gt_seg_map'] == 12
                ).any() for _ in range(50))
    assert hits < 25
    with pytest.raises(ValueError, match='needs the taxonomy'):
        SignAwareRandomCrop(crop_size=8, target_node='traffic sign')


@pytest.mark.parametrize('img_path', ['', '.'])
def test_gtsdb_full_release_one_folder_split_by_index(tmp_path, img_path):
    """The usual download, ``FullIJCNN2013``: every image and one gt.txt in
    one folder, split 600/300 by index (here 3/2) with mmengine's
    ``indices``; an empty ``img_path`` means the data root itself."""
    names = [f'{i:05d}.ppm' for i in range(5)]
    _gtsdb(tmp_path, ['00000.ppm;0;0;1;1;0', '00004.ppm;3;1;5;3;2'],
           images=names)
    root = tmp_path / 'TrainIJCNN2013'  # the folder _gtsdb writes
    full = dict(taxonomy=TOY, data_root=str(root), ann_file='gt.txt',
                data_prefix=dict(img_path=img_path), serialize_data=False)
    train = GTSDBDataset(**full, indices=3)
    test = GTSDBDataset(**full, indices=[3, 4])
    assert [osp.basename(train.get_data_info(i)['img_path'])
            for i in range(len(train))] == names[:3]
    assert [osp.basename(test.get_data_info(i)['img_path'])
            for i in range(len(test))] == names[3:]
    assert osp.dirname(osp.normpath(test.get_data_info(1)['img_path'])) \
        == str(root)
    assert test.get_data_info(1)['instances'] == [
        dict(bbox=[3, 1, 6, 4], bbox_label=2)]
    assert train.get_data_info(0)['instances'][0]['bbox_label'] == 0
