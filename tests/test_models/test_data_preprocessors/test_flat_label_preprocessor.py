# Copyright (c) mmhier contributors. All rights reserved.
"""Node-space codes -> flat class indices for the flat baseline."""
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmhier.models.data_preprocessors import (FlatLabelSegDataPreProcessor,
                                              flat_label_lut)
from mmhier.taxonomy import LabelTree


@pytest.fixture
def toy(toy_taxonomy):
    """The toy tree (tests/data/toy_tree_taxonomy.py) whose box dataset
    labels stop and the coarse front, without level weights."""
    return toy_taxonomy(
        datasets=dict(gt=dict(classes={
            0: ('stop', 'stop'),
            1: ('front', 'front')
        })),
        level_weights=None)


# nodes: 0 root 1 road 2 sign 3 car 4 back 5 front 6 stop 7 yield;
# leaves: road 0, back 1, stop 2, yield 3, car 4; weak codes 8 front, 9 stop


def test_lut_values(toy):
    tree = LabelTree.build(toy)
    lut = flat_label_lut(tree)
    # codes 0..9: root ignore, road 0, sign (coarse) ignore, car 4, back 1,
    # front (coarse) ignore, stop 2, yield 3, weak front ignore, weak stop 2
    assert lut[:10].tolist() == [255, 0, 255, 4, 1, 255, 2, 3, 255, 2]
    assert lut[255] == 255
    lut = flat_label_lut(tree, coarse_nodes=['sign', 'front'], weak='ignore')
    assert lut[:10].tolist() == [255, 0, 5, 4, 1, 6, 2, 3, 255, 255]
    with pytest.raises(ValueError, match="'road' is a leaf"):
        flat_label_lut(tree, coarse_nodes=['road'])
    # the single-dataset GTSDB baseline: ignore -> extra class 5 + 1 = 6
    # (after the leaves and the one coarse class)
    lut = flat_label_lut(tree, coarse_nodes=['front'], unlabeled=True)
    assert lut[:10].tolist() == [6, 0, 6, 4, 1, 5, 2, 3, 5, 2]
    assert lut[255] == 6
    assert FlatLabelSegDataPreProcessor(
        taxonomy=toy, coarse_nodes=['front'],
        unlabeled=True).num_flat_classes == 7


def test_converts_in_training_only(toy):
    pre = FlatLabelSegDataPreProcessor(taxonomy=toy, size=(2, 3))
    assert pre.num_flat_classes == 5

    def data():
        samples = []
        for _ in range(2):
            s = SegDataSample(
                gt_sem_seg=PixelData(
                    data=torch.tensor([[[1, 2, 3], [6, 9, 255]]],
                                      dtype=torch.uint8)))
            s.set_metainfo(dict(img_shape=(2, 3), ori_shape=(2, 3)))
            samples.append(s)
        return dict(
            inputs=[torch.zeros(3, 2, 3, dtype=torch.uint8)] * 2,
            data_samples=samples)

    out = pre(data(), training=True)
    for s in out['data_samples']:
        assert s.gt_sem_seg.data.tolist() == [[[0, 255, 4], [2, 2, 255]]]
    out = pre(data(), training=False)
    assert out['data_samples'][0].gt_sem_seg.data.tolist() == [[[1, 2, 3],
                                                                [6, 9, 255]]]
