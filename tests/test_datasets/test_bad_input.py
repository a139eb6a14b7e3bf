# Copyright (c) mmhier contributors. All rights reserved.
"""Bad input names the file at fault: a missing data root, an unreadable
image and a label PNG with ids outside the dataset's label list."""
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image

from mmhier.datasets import HierCityscapesDataset

TOY = osp.join(osp.dirname(__file__), '..', 'data', 'hier_toy_taxonomy.py')
STEM = 'aachen_000000_000019'


@pytest.fixture(autouse=True)
def _mmhier_scope():
    init_default_scope('mmhier')


def _dataset(root):
    return HierCityscapesDataset(
        taxonomy=TOY,
        data_root=str(root),
        data_prefix=dict(
            img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadHierAnnotations'),
        ],
        serialize_data=False)


def _write(root, image_bytes=None, label=None):
    img = root / 'leftImg8bit' / 'train' / 'aachen' / f'{STEM}_leftImg8bit.png'
    seg = root / 'gtFine' / 'train' / 'aachen' / f'{STEM}_gtFine_labelIds.png'
    img.parent.mkdir(parents=True)
    seg.parent.mkdir(parents=True)
    if image_bytes is None:
        Image.fromarray(np.zeros((2, 3, 3), np.uint8)).save(img)
    else:
        img.write_bytes(image_bytes)
    label = np.zeros((2, 3), np.uint8) if label is None else label
    Image.fromarray(label).save(seg)
    return img, seg


def test_missing_data_root(tmp_path):
    missing = tmp_path / 'no_such_root'
    with pytest.raises(FileNotFoundError, match='no_such_root'):
        _dataset(missing)


def test_unreadable_image(tmp_path):
    img, _ = _write(tmp_path, image_bytes=b'not a png at all')
    dataset = _dataset(tmp_path)
    with pytest.raises(Exception, match=osp.basename(str(img))):
        dataset[0]


def test_label_png_with_unknown_ids(tmp_path):
    # the toy tree's Cityscapes list has ids 0..5; 200 is not a label
    label = np.array([[0, 1, 200], [2, 3, 200]], np.uint8)
    _, seg = _write(tmp_path, label=label)
    dataset = _dataset(tmp_path)
    with pytest.raises(Exception, match=r'(?s)gtFine_labelIds\.png.*200'):
        dataset[0]


def test_missing_data_names_dataset_path_and_config_key(tmp_path):
    """The error names the dataset type, the path it tried and the config
    key to fix (``data_root``, or the ``data_prefix`` entry when the root
    exists but a sub-folder does not)."""
    missing = tmp_path / 'no_such_root'
    with pytest.raises(FileNotFoundError) as err:
        _dataset(missing)
    message = str(err.value)
    assert 'HierCityscapesDataset' in message
    assert str(missing) in message and '`data_root`' in message

    (tmp_path / 'root' / 'gtFine' / 'train').mkdir(parents=True)
    with pytest.raises(FileNotFoundError) as err:
        _dataset(tmp_path / 'root')
    message = str(err.value)
    assert 'HierCityscapesDataset' in message
    assert osp.join(str(tmp_path / 'root'), 'leftImg8bit/train') in message
    assert '`data_prefix.img_path`' in message


def test_missing_reid_and_gtsdb_data(tmp_path):
    from mmhier.datasets import GTSDBDataset
    from mmhier.datasets.reid import Market1501Dataset
    with pytest.raises(FileNotFoundError) as err:
        Market1501Dataset(data_root=str(tmp_path / 'no_market'))
    message = str(err.value)
    assert 'Market1501Dataset' in message and 'no_market' in message
    assert '`data_root`' in message
    (tmp_path / 'market').mkdir()
    with pytest.raises(FileNotFoundError) as err:
        Market1501Dataset(data_root=str(tmp_path / 'market'))
    message = str(err.value)
    assert 'bounding_box_train' in message and '`data_root`' in message
    with pytest.raises(FileNotFoundError) as err:
        GTSDBDataset(taxonomy=TOY, dataset_name='gtsdb',
                     data_root=str(tmp_path / 'no_gtsdb'))
    message = str(err.value)
    assert 'GTSDBDataset' in message and 'no_gtsdb' in message
    assert '`data_root`' in message
