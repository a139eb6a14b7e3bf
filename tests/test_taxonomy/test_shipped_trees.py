# Copyright (c) mmhier contributors. All rights reserved.
"""Pin the shape and the dataset mappings of the shipped tree files."""
import os.path as osp

import numpy as np
import pytest
from mmseg.datasets import CityscapesDataset, MapillaryDataset_v1

from mmhier.datasets.gtsdb_meta import GTSDB_CLASSES
from mmhier.taxonomy import LabelTree

TREES = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', '_base_', 'taxonomies')
VISTAS = list(MapillaryDataset_v1.METAINFO['classes'])
# official Cityscapes labelId -> trainId (cityscapesscripts labels.py)
LABEL_TO_TRAIN = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8,
                  22: 9, 23: 10, 24: 11, 25: 12, 26: 13, 27: 14, 28: 15,
                  31: 16, 32: 17, 33: 18}


@pytest.fixture(scope='module')
def paper():
    return LabelTree.fromfile(
        osp.join(TREES, 'cvg_cityscapes_vistas_gtsdb.py'))


@pytest.fixture(scope='module')
def synthetic():
    return LabelTree.fromfile(osp.join(TREES, 'synthetic_street.py'))


def test_paper_tree_shape(paper):
    assert paper.classifier_names == [
        'root', 'driveable', 'rider', 'traffic sign', 'traffic sign front']
    assert paper.classifier_sizes == [53, 10, 3, 2, 44]
    assert paper.classifier_level == [1, 2, 2, 2, 3]
    assert paper.total_slots == 112
    assert paper.num_nodes == 113 and paper.num_leaves == 108
    assert len(paper.weak_nodes) == 43 and paper.num_codes == 156
    assert paper.level_weights == [1.0, 0.1, 0.1]
    # 108 leaves = 64 Vistas classes + 43 GTSDB classes + other front sign
    gtsdb_nodes = [c + ' sign' for c in GTSDB_CLASSES]
    vistas_leaves = [c for c in VISTAS
                     if c not in ('Traffic Sign (Front)', 'Unlabeled')]
    assert sorted(paper.leaf_names) == sorted(
        vistas_leaves + gtsdb_nodes + ['other front sign'])
    assert paper.children('traffic sign front') == [
        paper.node_id(n) for n in gtsdb_nodes + ['other front sign']]
    assert [paper.node_names[n] for n in paper.children('rider')] == [
        'Bicyclist', 'Motorcyclist', 'Other Rider']


def test_paper_tree_datasets(paper):
    sizes = {n: len(paper.dataset_info(n)['class_names'])
             for n in paper.dataset_names}
    # GTSDB is scored twice: on the boxes and on the sign outlines
    assert sizes == dict(cityscapes=34, mapillary_vistas=66, gtsdb=43,
                         gtsdb_outlines=43, cityscapes27=34, cityscapes19=34,
                         cityscapes_extended=43)
    evals = {n: len(paper.dataset_eval_classes(n))
             for n in paper.dataset_names}
    assert evals == dict(cityscapes=27, mapillary_vistas=65, gtsdb=43,
                         gtsdb_outlines=43, cityscapes27=27, cityscapes19=19,
                         cityscapes_extended=43)
    assert paper.dataset_info('gtsdb_outlines')['class_names'] == \
        paper.dataset_info('gtsdb')['class_names']
    assert paper.dataset_info('mapillary_vistas')['class_names'] == VISTAS
    assert paper.dataset_info('gtsdb')['class_names'] == list(GTSDB_CLASSES)
    assert paper.dataset_info('gtsdb')['annotation'] == 'box'
    assert paper.dataset_eval_classes('cityscapes19') == list(
        CityscapesDataset.METAINFO['classes'])
    # Vistas ids map to the node of the same name, except the coarse front
    vistas = paper.dataset_info('mapillary_vistas')['raw_to_node']
    for raw, name in enumerate(VISTAS):
        expected = {'Traffic Sign (Front)': 'traffic sign front',
                    'Unlabeled': None}.get(name, name)
        got = paper.node_names[vistas[raw]] if vistas[raw] else None
        assert got == expected, (raw, name)
    # the authors kept Cityscapes out of the driveable classifier
    assert paper.dataset_classifier_mask('cityscapes').tolist() == [
        True, False, True, True, True]


def test_paper_cityscapes19_equals_official_train_ids(paper):
    expected = np.full(34, 255)
    for label_id, train_id in LABEL_TO_TRAIN.items():
        expected[label_id] = train_id
    np.testing.assert_array_equal(paper.raw_to_eval('cityscapes19'), expected)


def test_cityscapes_truck_is_not_a_traffic_sign(paper):
    """Regression: the authors' index list sent Cityscapes truck to the
    `front` traffic-sign class."""
    truck = paper.node_id('Truck')
    code = paper.map_raw_ids('cityscapes', np.array([27]))[0]
    assert code == truck and paper.parent[truck] == paper.root
    assert truck not in [paper.leaves[i]
                         for i in paper.leaves_under('traffic sign')]
    lut = paper.classifier_target_lut()
    root_children = paper.children('root')
    assert lut[0, code] == root_children.index(truck)
    assert (lut[1:, code] == -1).all()
    # while Cityscapes traffic sign does land on the front sign node
    sign = paper.map_raw_ids('cityscapes', np.array([20]))[0]
    assert paper.node_names[sign] == 'traffic sign front'
    assert lut[3, sign] == 1 and lut[4, sign] == -1


def test_paper_projection(paper):
    def projected(dataset, leaf):
        idx = paper.leaf_to_dataset(dataset)[paper.leaf_index[
            paper.node_id(leaf)]]
        return None if idx == 255 else paper.dataset_eval_classes(
            dataset)[idx]

    assert projected('cityscapes', 'Bike Lane') == 'road'
    assert projected('cityscapes', 'Parking') == 'parking'
    assert projected('cityscapes19', 'Parking') == 'road'
    assert projected('cityscapes', 'Motorcyclist') == 'rider'
    assert projected('cityscapes', 'stop sign') == 'traffic sign'
    assert projected('cityscapes', 'Traffic Sign (Back)') is None
    assert projected('cityscapes', 'Bird') is None
    assert projected('mapillary_vistas', 'stop sign') == \
        'Traffic Sign (Front)'
    assert projected('mapillary_vistas', 'other front sign') == \
        'Traffic Sign (Front)'
    assert projected('cityscapes_extended', 'stop sign') == 'stop'
    assert projected('cityscapes_extended', 'Car') is None
    # GTSDB weak codes evaluate like their node
    stop = paper.map_raw_ids('gtsdb', np.array([14]))[0]
    assert paper.code_is_weak[stop]
    assert paper.code_to_dataset('gtsdb')[stop] == 14


def test_synthetic_tree_shape(synthetic):
    assert synthetic.classifier_names == [
        'root', 'driveable', 'rider', 'traffic sign', 'traffic sign front']
    assert synthetic.classifier_sizes == [10, 3, 2, 2, 43]
    assert [synthetic.node_names[n] for n in synthetic.children('root')] == [
        'sky', 'building', 'vegetation', 'sidewalk', 'pole', 'car', 'person',
        'driveable', 'rider', 'traffic sign']
    assert synthetic.num_nodes == 61 and synthetic.num_leaves == 56
    assert synthetic.num_codes == 104
    assert synthetic.leaf_names[:12] == [
        'sky', 'building', 'vegetation', 'sidewalk', 'pole', 'car', 'person',
        'road', 'lane marking', 'crosswalk', 'bicyclist', 'motorcyclist']
    assert synthetic.leaf_names[12] == 'traffic sign back'
    assert synthetic.leaf_names[13:] == [c + ' sign' for c in GTSDB_CLASSES]


def test_synthetic_tree_datasets(synthetic, paper):
    # same datasets and the same official raw id lists as the paper's tree
    for name in ('cityscapes', 'mapillary_vistas', 'gtsdb',
                 'cityscapes_extended', 'cityscapes19'):
        assert synthetic.dataset_info(name)['class_names'] == \
            paper.dataset_info(name)['class_names']
    assert synthetic.dataset_eval_classes('cityscapes') == [
        'road', 'sidewalk', 'building', 'pole', 'traffic sign', 'vegetation',
        'sky', 'person', 'rider', 'car']
    assert synthetic.dataset_eval_classes('mapillary_vistas') == [
        'Road', 'Sidewalk', 'Building', 'Person', 'Bicyclist',
        'Motorcyclist', 'Lane Marking - Crosswalk', 'Lane Marking - General',
        'Sky', 'Vegetation', 'pole', 'Traffic Sign (Back)',
        'Traffic Sign (Front)', 'Car']
    # every eval class is reachable by some leaf prediction
    for name in synthetic.dataset_names:
        hit = set(synthetic.leaf_to_dataset(name).tolist()) - {255}
        assert hit == set(range(len(synthetic.dataset_eval_classes(name))))
    # the label conflict of the synthetic scenes: Cityscapes road is coarse
    road = synthetic.map_raw_ids('cityscapes', np.array([7]))[0]
    marking = synthetic.map_raw_ids('mapillary_vistas', np.array([24]))[0]
    assert synthetic.node_names[road] == 'driveable'
    assert synthetic.node_names[marking] == 'lane marking'
    lut = synthetic.classifier_target_lut()
    assert lut[0, road] == lut[0, marking] == 7
    assert lut[1, road] == -1 and lut[1, marking] == 1
