# Copyright (c) mmhier contributors. All rights reserved.
import os.path as osp

import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmhier.registry import METRICS

TOY = osp.join(osp.dirname(__file__), '..', 'data', 'hier_toy_taxonomy.py')
I = 255  # noqa: E741
# toy leaves: 0 sky, 1 road, 2 lane marking, 3 person, 4 sign back,
# 5 circle sign, 6 triangle sign, 7 stop sign. Codes: 1 sky, 2 driveable
# (Cityscapes road), 3 person, 4 traffic sign, weak 12/13/14 = circle /
# triangle / stop boxes.


def _sample(name, pred, gt):
    sample = SegDataSample(metainfo=dict(dataset_name=name,
                                         img_path=f'{name}.png'))
    sample.pred_sem_seg = PixelData(data=torch.tensor([pred]))
    sample.gt_sem_seg = PixelData(data=torch.tensor([gt]))
    return sample.to_dict()


CITY = _sample('cityscapes', pred=[[1, 0, 0], [5, 3, 2]],
               gt=[[2, 1, 3], [4, I, 2]])
GTSDB = _sample('gtsdb', pred=[[5, 6, 0], [7, 1, 0]],
                gt=[[12, 12, I], [14, I, 13]])


def _metric(**kwargs):
    metric = METRICS.build(dict(type='MultiDatasetHierMetric', taxonomy=TOY,
                                **kwargs))
    metric.dataset_meta = dict(classes=('x', ))
    return metric


def test_hand_computed_scores_per_dataset_and_view():
    metric = _metric(dataset_views=dict(
        cityscapes=['cityscapes', 'cityscapes_nosign']))
    metric.process({}, [CITY, GTSDB])
    out = metric.evaluate(2)
    # Cityscapes (road, sky, person, traffic sign): road 2/2 (lane marking
    # projects to road), sky IoU 1/2 (one person pixel predicted sky) acc 1,
    # person 0, traffic sign 1 (circle sign projects to traffic sign)
    assert out['cityscapes/mIoU'] == 62.5
    assert out['cityscapes/mPA'] == 75.0
    assert out['cityscapes/aAcc'] == 80.0
    # without the sign class: its label pixel is ignored, not re-mapped
    assert out['cityscapes/cityscapes_nosign/mIoU'] == 50.0
    assert out['cityscapes/cityscapes_nosign/mPA'] == 66.67
    assert out['cityscapes/cityscapes_nosign/aAcc'] == 75.0
    # GTSDB inside boxes only: circle IoU 1/2 acc 1/2, triangle 0 (predicted
    # as sky, a prediction of no GTSDB class), stop 1
    assert out['gtsdb/mIoU'] == 50.0
    assert out['gtsdb/mPA'] == 50.0
    assert out['gtsdb/aAcc'] == 50.0
    assert out['mIoU'] == round((62.5 + 50 + 50) / 3, 2)


def test_flat_coarse_prediction_and_errors():
    # a flat model with an extra class 8 = 'traffic sign' (coarse)
    metric = _metric(flat_coarse_nodes=['traffic sign'])
    sample = _sample('cityscapes', pred=[[8, 1]], gt=[[4, 2]])
    metric.process({}, [sample])
    assert metric.evaluate(1)['cityscapes/mIoU'] == 100.0
    with pytest.raises(ValueError, match='predicted class 9'):
        metric.process({}, [_sample('cityscapes', [[9]], [[4]])])
    nameless = _sample('cityscapes', [[0]], [[1]])
    nameless.pop('dataset_name')  # to_dict() puts metainfo at the top
    with pytest.raises(KeyError, match='dataset_name'):
        _metric().process({}, [nameless])
    with pytest.raises(KeyError, match="view 'cityscapes27'"):
        _metric(dataset_views=dict(cityscapes=['cityscapes27']))


def test_paper_class_subset(tmp_path):
    """GTSDB labelled pixels: circle 2, triangle 1, stop 1 (see
    test_hand_computed_scores_per_dataset_and_view: circle acc 1/2 IoU 1/2,
    triangle 0, stop 1)."""
    metric = _metric(class_subset=dict(min_pixels=dict(gtsdb=2)))
    metric.process({}, [CITY, GTSDB])
    out = metric.evaluate(2)
    assert out['gtsdb/mPA'] == 50.0  # all classes, unchanged
    assert out['gtsdb/subset.classes'] == 1  # circle only
    assert out['gtsdb/subset.mPA'] == 50.0
    assert out['gtsdb/subset.mIoU'] == 50.0
    # training condition from a gt.txt: circle 2x2 = 4 px, triangle 3x3 =
    # 9 px, stop 10x1 = 10 px; at >= 9 px and >= 1 val pixel: triangle, stop
    ann = tmp_path / 'gt.txt'
    ann.write_text('00000.ppm;0;0;1;1;0\n00001.ppm;5;5;7;7;1\n'
                   '00001.ppm;0;0;9;0;2\n')
    metric = _metric(class_subset=dict(
        min_pixels=dict(gtsdb=1), train_ann_file=str(ann),
        min_train_pixels=9))
    metric.process({}, [CITY, GTSDB])
    out = metric.evaluate(2)
    assert out['gtsdb/subset.classes'] == 2
    assert out['gtsdb/subset.mPA'] == 50.0  # (0 + 1) / 2
    ann.write_text('00000.ppm;0;0;1;1;7\n')
    metric = _metric(class_subset=dict(min_pixels=dict(gtsdb=1),
                                       train_ann_file=str(ann)))
    metric.process({}, [GTSDB])
    with pytest.raises(ValueError, match='gt.txt:1: class id 7'):
        metric.evaluate(1)
    with pytest.raises(KeyError, match='min_pixels'):
        _metric(class_subset=dict(views=['gtsdb']))
