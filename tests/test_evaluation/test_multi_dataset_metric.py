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
