# Copyright (c) mmhier contributors. All rights reserved.
"""Tests of the synthetic data generator: formats, ids, boxes, determinism."""
import glob
import hashlib
import json
import os
import os.path as osp
import re
import time

import numpy as np
import pytest
from PIL import Image

from mmhier.datasets.gtsdb_meta import (GTSDB_CLASS_SCHEMES, GTSDB_CLASSES,
                                        GTSDB_COLOR_SCHEMES, GTSDB_SHAPES,
                                        SIGN_SHAPES)
from mmhier.datasets.synthetic import MARKER, generate, glyph_code
from mmhier.datasets.synthetic.generator import (GTSDB_IMAGE_FACTOR,
                                                 GTSDB_SIGNS_PER_IMAGE,
                                                 _gtsdb_class_ids)
from mmhier.datasets.synthetic.scene import render_street_scene
from mmhier.datasets.synthetic.style import CITYSCAPES_STYLE

TINY = dict(num_train=2, num_val=1, num_reid_train_ids=3, num_reid_test_ids=3)

# Official Cityscapes labelId -> trainId (cityscapesscripts labels.py),
# written out here independently of the generator's table.
OFFICIAL_TRAIN_IDS = {
    7: 0,
    8: 1,
    11: 2,
    12: 3,
    13: 4,
    17: 5,
    19: 6,
    20: 7,
    21: 8,
    22: 9,
    23: 10,
    24: 11,
    25: 12,
    26: 13,
    27: 14,
    28: 15,
    31: 16,
    32: 17,
    33: 18
}
MARKET_RE = re.compile(r'^(-1|\d{4})_c(\d)s(\d)_(\d{6})_(\d{2})\.jpg$')
CS_RE = re.compile(r'^([a-z]+)_(\d{6})_(\d{6})_leftImg8bit\.png$')


@pytest.fixture(scope='module')
def tiny_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synthetic') / 'data')
    result = generate(root, seed=0, **TINY)
    assert not result['skipped']
    return root


def _hashes(root, pattern='**/*'):
    out = {}
    for path in sorted(glob.glob(osp.join(root, pattern), recursive=True)):
        if osp.isfile(path):
            with open(path, 'rb') as f:
                out[osp.relpath(path,
                                root)] = hashlib.md5(f.read()).hexdigest()
    return out


def test_gtsdb_meta_and_glyphs():
    assert len(GTSDB_CLASSES) == 43 == len(GTSDB_SHAPES)
    assert set(GTSDB_SHAPES) <= set(SIGN_SHAPES)
    assert GTSDB_CLASSES[14] == 'stop' and GTSDB_SHAPES[14] == 'octagon'
    assert GTSDB_SHAPES[13] == 'triangle_down'  # give way
    assert GTSDB_SHAPES[12] == 'diamond'  # priority road
    assert GTSDB_SHAPES[18] == 'triangle_up' and GTSDB_SHAPES[1] == 'circle'
    assert all(s in GTSDB_COLOR_SCHEMES for s in GTSDB_CLASS_SCHEMES)
    codes = {glyph_code(c).tobytes() for c in range(43)}
    assert len(codes) == 43
    assert all(glyph_code(c).any() for c in range(43))
    with pytest.raises(ValueError, match='43'):
        glyph_code(43)


def test_cityscapes_layout_and_ids(tiny_root):
    for dataset, splits in (('cityscapes', ('train', 'val')),
                            ('cityscapes_target', ('train', 'val')),
                            ('cityscapes_extended', ('val', ))):
        root = osp.join(tiny_root, dataset)
        assert sorted(os.listdir(osp.join(root,
                                          'leftImg8bit'))) == sorted(splits)
        imgs = sorted(glob.glob(osp.join(root, 'leftImg8bit/*/*/*.png')))
        assert len(imgs) == (3 if len(splits) == 2 else 1)
        for img_path in imgs:
            split, city, name = img_path.split(os.sep)[-3:]
            m = CS_RE.match(name)
            assert m and m.group(1) == city, name
            stem = name[:-len('_leftImg8bit.png')]
            gt = osp.join(root, 'gtFine', split, city, stem + '_gtFine_')
            img = Image.open(img_path)
            assert img.mode == 'RGB' and img.size == (256, 128)
            ids = Image.open(gt + 'labelIds.png')
            train = Image.open(gt + 'labelTrainIds.png')
            assert ids.mode == 'L' and train.mode == 'L'
            ids, train = np.asarray(ids), np.asarray(train)
            assert set(np.unique(ids)) <= set(range(34))
            expected = np.vectorize(lambda i: OFFICIAL_TRAIN_IDS.get(i, 255))(
                ids)
            np.testing.assert_array_equal(train, expected)
            # The street structure is there in every image.
            assert {7, 23}.issubset(set(np.unique(ids))), stem
            if dataset == 'cityscapes_extended':
                signs = np.asarray(Image.open(gt + 'trafficSignIds.png'))
                assert set(np.unique(signs)) <= set(range(43)) | {255}
                assert (signs != 255).any()
                assert np.all(ids[signs != 255] == 20)  # only on signs
            else:
                assert not osp.exists(gt + 'trafficSignIds.png')


def test_domains_differ(tiny_root):

    def mean_rgb(dataset):
        paths = glob.glob(osp.join(tiny_root, dataset, 'leftImg8bit/*/*/*'))
        return np.mean(
            [np.asarray(Image.open(p)).reshape(-1, 3).mean(0) for p in paths],
            axis=0)

    assert np.abs(mean_rgb('cityscapes') -
                  mean_rgb('cityscapes_target')).max() > 10


def test_vistas_config_and_labels(tiny_root):
    from mmseg.datasets import MapillaryDataset_v1
    root = osp.join(tiny_root, 'mapillary_vistas')
    with open(osp.join(root, 'config_v1.2.json')) as f:
        labels = json.load(f)['labels']
    assert len(labels) == 66
    assert [lab['readable']
            for lab in labels] == list(MapillaryDataset_v1.METAINFO['classes'])
    names = [lab['name'] for lab in labels]
    assert names[13] == 'construction--flat--road'
    assert names[23] == 'marking--crosswalk-zebra'
    assert names[24] == 'marking--general'
    assert names[49:51] == [
        'object--traffic-sign--back', 'object--traffic-sign--front'
    ]
    assert names[20:22] == [
        'human--rider--bicyclist', 'human--rider--motorcyclist'
    ]
    assert labels[65] == dict(name='void--unlabeled',
                              readable='Unlabeled',
                              color=[0, 0, 0],
                              instances=False,
                              evaluate=False)
    assert set(
        labels[0]) == {'name', 'readable', 'color', 'instances', 'evaluate'}
    seen = set()
    for split in ('training', 'validation'):
        images = sorted(glob.glob(osp.join(root, split, 'images', '*.jpg')))
        assert len(images) == (2 if split == 'training' else 1)
        for img_path in images:
            key = osp.basename(img_path)[:-4]
            assert re.fullmatch(r'[A-Za-z0-9_-]{22}', key)
            lab = Image.open(
                osp.join(root, split, 'v1.2', 'labels', key + '.png'))
            assert lab.mode == 'P'
            assert lab.size == Image.open(img_path).size
            palette = np.asarray(lab.getpalette()[:66 * 3]).reshape(66, 3)
            np.testing.assert_array_equal(palette,
                                          [lab_['color'] for lab_ in labels])
            ids = np.asarray(lab)
            assert ids.max() <= 65
            seen |= set(np.unique(ids).tolist())
    # Vistas keeps markings / sign faces apart from road / each other.
    assert {13, 24, 27}.issubset(seen)


def _parse_gt(path):
    rows = []
    with open(path) as f:
        for line in f:
            fields = line.rstrip('\n').split(';')
            assert len(fields) == 6, line
            assert re.fullmatch(r'\d{5}\.ppm', fields[0])
            rows.append((fields[0], *map(int, fields[1:])))
    return rows


def _read_ppm(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic, w, h, maxval, rest = data.split(maxsplit=4)
    assert magic == b'P6' and maxval == b'255'
    w, h = int(w), int(h)
    assert len(rest) == w * h * 3
    return np.frombuffer(rest, np.uint8).reshape(h, w, 3)


def _color_fraction(crop, rgb):
    """Fraction of pixels with the hue of ``rgb`` at 0.55..1.45 of its
    brightness (lighting and noise change colours multiplicatively)."""
    px = crop.reshape(-1, 3).astype(float)
    c = np.asarray(rgb, float)
    norm = np.linalg.norm(px, axis=1) + 1e-6
    cos = px @ c / (norm * np.linalg.norm(c))
    ratio = norm / np.linalg.norm(c)
    return float(np.mean((cos > 0.97) & (ratio > 0.55) & (ratio < 1.45)))


def test_gtsdb_ppm_and_boxes(tiny_root):
    all_rows, num_images, rim_fractions = [], 0, []
    for split in ('TrainIJCNN2013', 'TestIJCNN2013'):
        split_dir = osp.join(tiny_root, 'gtsdb', split)
        ppms = sorted(glob.glob(osp.join(split_dir, '*.ppm')))
        assert [osp.basename(p)
                for p in ppms] == [f'{i:05d}.ppm' for i in range(len(ppms))]
        num_images += len(ppms)
        rows = _parse_gt(osp.join(split_dir, 'gt.txt'))
        all_rows += rows
        for name, left, top, right, bottom, cls in rows:
            img = _read_ppm(osp.join(split_dir, name))
            assert img.shape == (200, 340, 3)
            assert 0 <= cls <= 42
            assert 0 <= left < right < 340 and 0 <= top < bottom < 200
            assert right - left + 1 >= 12  # enough pixels per box
            crop = img[top:bottom + 1, left:right + 1]
            scheme = GTSDB_COLOR_SCHEMES[GTSDB_CLASS_SCHEMES[cls]]
            assert _color_fraction(crop, scheme['fill']) > 0.05, (name, cls)
            if scheme['rim'] in ((200, 20, 30), ):
                rim_fractions.append(_color_fraction(crop, scheme['rim']))
                # Control: the road below has no sign colours.
                road = img[-(bottom - top + 1):, left:right + 1]
                assert _color_fraction(road, scheme['rim']) < 0.05
    assert all_rows, 'no sign boxes in the tiny GTSDB set'
    # Signs stand in the street and may be partly hidden (the box is the
    # visible extent), so only most red-rimmed boxes show a full rim.
    assert rim_fractions
    assert np.mean(np.asarray(rim_fractions) > 0.1) >= 0.75, rim_fractions
    # Some images have no sign at all, as in the real benchmark.
    with_signs = {(r[0]) for r in all_rows}
    assert len(with_signs) < num_images


def test_gtsdb_counts_and_class_balance(tiny_root):
    for split, n in (('TrainIJCNN2013', TINY['num_train']),
                     ('TestIJCNN2013', TINY['num_val'])):
        ppms = glob.glob(osp.join(tiny_root, 'gtsdb', split, '*.ppm'))
        assert len(ppms) == GTSDB_IMAGE_FACTOR * n
    empty = {0, 7}
    per_image = _gtsdb_class_ids(np.random.default_rng(0), 30, empty)
    assert len(per_image) == 30
    lo, hi = GTSDB_SIGNS_PER_IMAGE
    for i, ids in enumerate(per_image):
        if i in empty:
            assert ids == []
        else:
            assert lo <= len(ids) <= hi and len(set(ids)) == len(ids)
    # Shuffled rounds of all 43 classes: class counts differ by <= 1.
    counts = np.bincount(sum(per_image, []), minlength=43)
    assert len(counts) == 43 and counts.max() - counts.min() <= 1
    assert counts.sum() >= 28 * lo


def test_street_signs_are_visible_and_sized():
    widths = []
    for seed in range(4):
        scene = render_street_scene(np.random.default_rng(seed), 256, 128,
                                    CITYSCAPES_STYLE, num_signs=(3, 3))
        for left, top, right, bottom, _ in scene.boxes:
            assert 0 <= left <= right < 256 and 0 <= top <= bottom < 128
            widths.append(right - left + 1)
    assert len(widths) >= 6
    # faces drawn 14-34 px wide at 256 columns (occlusion may trim some)
    assert max(widths) <= 36 and np.median(widths) >= 12, widths
    # GTSDB mode: the requested classes in order, all fronts on top.
    scene = render_street_scene(np.random.default_rng(0), 340, 200,
                                CITYSCAPES_STYLE, sign_px=(16, 48),
                                signs_on_top=True, class_ids=(5, 9, 30))
    assert sorted(b[4] for b in scene.boxes) == [5, 9, 30]


def test_market_layout(tiny_root):
    for domain in ('reid_source', 'reid_target'):
        root = osp.join(tiny_root, domain)
        parsed = {}
        for folder in ('bounding_box_train', 'bounding_box_test', 'query'):
            names = sorted(os.listdir(osp.join(root, folder)))
            assert names, folder
            rows = []
            for name in names:
                m = MARKET_RE.match(name)
                assert m, name
                rows.append((m.group(1), int(m.group(2))))
            parsed[folder] = rows
            img = Image.open(osp.join(root, folder, names[0]))
            assert img.size == (64, 128) and img.format == 'JPEG'
        train_ids = {p for p, _ in parsed['bounding_box_train']}
        assert not train_ids & {'0000', '-1'}
        gallery = parsed['bounding_box_test']
        assert any(p == '0000' for p, _ in gallery)  # junk
        assert any(p == '-1' for p, _ in gallery)  # distractors
        query_ids = {p for p, _ in parsed['query']}
        assert not query_ids & train_ids
        assert len(train_ids) == 3 and len(query_ids) == 3
        for pid, cam in parsed['query']:  # a cross-camera true match exists
            assert any(p == pid and c != cam for p, c in gallery)


def test_reid_domains_differ(tiny_root):

    def mean_rgb(domain):
        paths = glob.glob(osp.join(tiny_root, domain, '*', '*.jpg'))
        return np.mean(
            [np.asarray(Image.open(p)).reshape(-1, 3).mean(0) for p in paths],
            axis=0)

    assert np.abs(mean_rgb('reid_source') - mean_rgb('reid_target')).max() \
        > 10


def test_deterministic_and_seed_dependent(tiny_root, tmp_path):
    again = str(tmp_path / 'again')
    generate(again, seed=0, nproc=2, **TINY)  # process count must not matter
    assert _hashes(again) == _hashes(tiny_root)
    other = str(tmp_path / 'other')
    generate(other, seed=1, datasets=('cityscapes', ), **TINY)
    a, b = _hashes(tiny_root, 'cityscapes/**/*'), _hashes(other, '**/*')
    assert a.keys() == b.keys()
    assert all(a[k] != b[k] for k in a)


def test_reuse_rules(tiny_root, tmp_path):
    start = time.perf_counter()
    again = generate(tiny_root, seed=0, **TINY)
    assert again['skipped'] and time.perf_counter() - start < 2.0
    with pytest.raises(FileExistsError, match='other arguments'):
        generate(tiny_root, seed=3, **TINY)
    stray = tmp_path / 'stray'
    stray.mkdir()
    (stray / 'notes.txt').write_text('x')
    with pytest.raises(FileExistsError, match=MARKER):
        generate(str(stray), seed=0, datasets=('gtsdb', ), **TINY)
    result = generate(str(stray),
                      seed=0,
                      datasets=('gtsdb', ),
                      overwrite=True,
                      **TINY)
    assert not result['skipped']
    assert (stray / 'notes.txt').exists()  # only our folders are replaced
    assert (stray / 'gtsdb' / 'TrainIJCNN2013' / 'gt.txt').exists()
    with pytest.raises(ValueError, match='kitti'):
        generate(str(tmp_path / 'bad'), datasets=('kitti', ))


def test_scene_class_lut():
    from mmhier.datasets.synthetic.labels import SceneClass, scene_class_lut
    names = {c: 'road' if c == SceneClass.CURB else 'other'
             for c in SceneClass}
    lut = scene_class_lut(names, {'road': 7, 'other': 0})
    assert lut.dtype == np.uint8 and len(lut) == len(SceneClass)
    assert lut[SceneClass.CURB] == 7 and lut.sum() == 7
    del names[SceneClass.SKY]
    with pytest.raises(ValueError, match='SKY'):
        scene_class_lut(names, {'road': 7, 'other': 0})
