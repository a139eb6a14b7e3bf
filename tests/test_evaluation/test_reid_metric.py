# Copyright (c) mmhier contributors. All rights reserved.
import math
import random

import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample
from sklearn.metrics import average_precision_score

from mmhier.evaluation import ReIDMetric, reid_rank_metrics
from mmhier.registry import METRICS


def _unit(deg):
    rad = math.radians(deg)
    return [math.cos(rad), math.sin(rad)]


# Gallery on the unit circle, (angle, pid, cam):
GALLERY = [
    (10, 1, 0),  # g1: same pid as q1 AND same cam -> removed for q1
    (20, 2, 1),  # g2
    (30, 1, 1),  # g3
    (40, -1, 1),  # g4: junk, removed for every query
    (50, 3, 0),  # g5
    (60, 1, 2),  # g6
]
QUERIES = [
    (0, 1, 0),  # q1
    (180, 2, 0),  # q2
    (0, 4, 0),  # q3: pid absent from the gallery -> skipped
    (0, 3, 0),  # q4: only match g5 is on the same camera -> skipped
    (32, 1, 2),  # q5: g6 (pid 1, cam 2) is removed
]
# Hand-worked rankings after the exclusions (M = match, N = non-match):
# q1 from 0 deg : g2 N, g3 M, g5 N, g6 M  -> AP = (1/2 + 2/4) / 2 = 0.5,
#                                              first match at rank 2
#   (without the camera exclusion g1 would be a rank-1 match: AP 0.7556)
# q2 from 180   : g6 N, g5 N, g3 N, g2 M, g1 N -> AP = 1/4, first at rank 4
# q5 from 32    : g3 M, g2 N, g5 N, g1 M  -> AP = (1/1 + 2/4) / 2 = 0.75,
#                                              first match at rank 1
# mAP = (0.5 + 0.25 + 0.75) / 3 = 0.5; top1 = 1/3; top5 = top10 = 1
EXPECTED = {'mAP': 50.0, 'top1': 100.0 / 3, 'top5': 100.0, 'top10': 100.0}


def _tensors(rows):
    feat = torch.tensor([_unit(a) for a, _, _ in rows])
    pid = torch.tensor([p for _, p, _ in rows])
    cam = torch.tensor([c for _, _, c in rows])
    return feat, pid, cam


def _samples():
    samples = []
    for rows, is_query in ((QUERIES, True), (GALLERY, False)):
        for angle, pid, cam in rows:
            ds = DataSample(metainfo=dict(pid=pid, camid=cam,
                                          is_query=is_query))
            ds.set_field(torch.tensor(_unit(angle)) * 3.0, 'pred_feat')
            samples.append(ds)
    return samples


def test_hand_worked_ranking_with_camera_exclusion():
    metric = METRICS.build(dict(type='ReIDMetric'))
    samples = _samples()
    random.Random(0).shuffle(samples)  # order must not matter
    metric.process({}, samples[:5])
    metric.process({}, samples[5:])
    results = metric.evaluate(size=len(samples))
    for key, value in EXPECTED.items():
        assert results[f'reid/{key}'] == pytest.approx(value, abs=1e-4)


def test_per_query_ap_matches_sklearn():
    qf, qp, qc = _tensors(QUERIES)
    gf, gp, gc = _tensors(GALLERY)
    aps = []
    for i in range(len(QUERIES)):
        keep = ~((gp == qp[i]) & (gc == qc[i])) & (gp != -1)
        y_true = (gp[keep] == qp[i]).numpy()
        if not y_true.any():
            continue
        score = -torch.cdist(qf[i:i + 1], gf[keep])[0].numpy()
        aps.append(average_precision_score(y_true, score))
    assert aps == pytest.approx([0.5, 0.25, 0.75])
    mean_ap, cmc, num_valid = reid_rank_metrics(qf, qp, qc, gf, gp, gc,
                                                topk=(1, 5, 10))
    assert num_valid == 3
    assert mean_ap == pytest.approx(float(np.mean(aps)))
    assert cmc == pytest.approx({1: 1 / 3, 5: 1.0, 10: 1.0})


def test_random_data_matches_reference_in_chunks():
    gen = torch.Generator().manual_seed(0)
    qf, gf = torch.randn(13, 6, generator=gen), torch.randn(40, 6,
                                                            generator=gen)
    qp, gp = torch.randint(0, 5, (13, ), generator=gen), torch.randint(
        0, 5, (40, ), generator=gen)
    qc, gc = torch.randint(0, 3, (13, ), generator=gen), torch.randint(
        0, 3, (40, ), generator=gen)
    aps, first = [], []
    dist = torch.cdist(torch.nn.functional.normalize(qf),
                       torch.nn.functional.normalize(gf))
    for i in range(13):
        keep = ~((gp == qp[i]) & (gc == qc[i]))
        y_true = (gp[keep] == qp[i]).numpy()
        if not y_true.any():
            continue
        aps.append(average_precision_score(y_true, -dist[i][keep].numpy()))
        ranked = y_true[np.argsort(dist[i][keep].numpy())]
        first.append(int(np.argmax(ranked)) + 1)
    mean_ap, cmc, num_valid = reid_rank_metrics(
        qf, qp, qc, gf, gp, gc, topk=(1, 5), chunk_size=4)
    assert num_valid == len(aps)
    assert mean_ap == pytest.approx(float(np.mean(aps)), rel=1e-6)
    assert cmc[1] == pytest.approx(np.mean(np.asarray(first) <= 1))
    assert cmc[5] == pytest.approx(np.mean(np.asarray(first) <= 5))


def test_errors():
    metric = ReIDMetric()
    only_gallery = [s for s in _samples() if not s.is_query]
    with pytest.raises(ValueError, match='no query'):
        metric.compute_metrics([
            dict(feat=s.pred_feat, pid=s.pid, camid=s.camid, is_query=False)
            for s in only_gallery
        ])
    with pytest.raises(KeyError, match='pred_feat'):
        metric.process({}, [DataSample(metainfo=dict(pid=1, camid=0))])
    qf, qp, qc = _tensors(QUERIES[2:4])
    gf, gp, gc = _tensors(GALLERY)
    with pytest.raises(ValueError, match='no query has a valid match'):
        reid_rank_metrics(qf, qp, qc, gf, gp, gc)
