# Copyright (c) mmhier contributors. All rights reserved.
"""HierIoUMetric on a crafted prediction, numbers worked by hand.

Toy tree (tests/data/toy_tree_taxonomy.py): 0 root, 1 road, 2 sign, 3 car,
4 back, 5 front, 6 stop, 7 yield; leaves (index): road 0, back 1, stop 2,
yield 3, car 4. Weak code 8 = stop.

    pixel  label (code)   pred leaf   L1        L2         L3
    p0     road (1)       road        ok        -          -
    p1     road (1)       car         wrong     -          -
    p2     car (3)        car         ok        -          -
    p3     stop (6)       stop        ok        front ok   stop ok
    p4     yield (7)      stop        ok        front ok   wrong
    p5     sign (2)       back        ok        -          -   (coarse label)
    p6     ignore (255)   road        -
    p7     weak stop (8)  car         wrong     wrong      wrong (weak='node')

Leaves (p0-p4, p7): road TP1 FN1 -> IoU 1/2 Acc 1/2; back absent -> nan;
stop TP1 FP1 FN1 (p7) -> IoU 1/3 Acc 1/2; yield TP0 FN1 -> 0, 0;
car TP1 FP2 (p1, p7) -> IoU 1/3 Acc 1.
mIoU = (1/2 + 1/3 + 0 + 1/3) / 4 = 29.17; mPA = (1/2 + 1/2 + 0 + 1) / 4
= 50.0; aAcc = 3/6 = 50.0.
L1 (p0-p5, p7): road TP1 FN1 -> 1/2, 1/2; car TP1 FP2 -> 1/3, 1;
sign TP3 FN1 (p7) -> 3/4, 3/4. aAcc 5/7 = 71.43, mIoU (1/2+1/3+3/4)/3
= 52.78, mPA (1/2+1+3/4)/3 = 75.0.
L2 (p3, p4, p7): front TP2 FN1 -> IoU 2/3 Acc 2/3 -> 66.67 everywhere.
L3 (p3, p4, p7): stop TP1 FP1 FN1 -> 1/3, 1/2; yield 0, 0 -> aAcc 33.33,
mIoU 16.67, mPA 25.0.
hAcc: p0, p2, p3, p5 -> 4/7 = 57.14.
Dataset 'city' (road, sign, car): road TP1 FN1 -> 1/2, 1/2; sign TP3 FN1
-> 3/4, 3/4; car TP1 FP2 -> 1/3, 1 => same as L1.
"""
import pytest
import torch

from mmhier.evaluation import HierIoUMetric, hier_confusion
from mmhier.taxonomy import LabelTree

LABEL = torch.tensor([[1, 1, 3, 6], [7, 2, 255, 8]])
PRED = torch.tensor([[0, 4, 4, 2], [2, 1, 0, 4]])


def sample(pred, label, **meta):
    return dict(
        pred_sem_seg=dict(data=pred[None]),
        gt_sem_seg=dict(data=label[None]),
        **meta)


def run(metric, samples):
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_crafted_confusion_in_two_images(toy_taxonomy):
    metric = HierIoUMetric(taxonomy=toy_taxonomy(), dataset_name='city')
    # split into two images (batch of 2) to check the accumulation
    res = run(metric, [
        sample(PRED[:1], LABEL[:1], dataset_name='city'),
        sample(PRED[1:], LABEL[1:], dataset_name='city'),
        sample(PRED, LABEL, dataset_name='gt'),  # skipped: other dataset
    ])
    expect = {
        'leaf.mIoU': 29.17, 'leaf.mPA': 50.0, 'leaf.aAcc': 50.0,
        'L1.aAcc': 71.43, 'L1.mIoU': 52.78, 'L1.mPA': 75.0,
        'L2.aAcc': 66.67, 'L2.mIoU': 66.67, 'L2.mPA': 66.67,
        'L3.aAcc': 33.33, 'L3.mIoU': 16.67, 'L3.mPA': 25.0,
        'hAcc': 57.14, 'aAcc': 71.43, 'mIoU': 52.78, 'mPA': 75.0
    }
    for key, value in expect.items():
        assert res[key] == pytest.approx(value, abs=0.01), key


def test_weak_ignore_and_tree_mode(toy_taxonomy):
    metric = HierIoUMetric(taxonomy=toy_taxonomy(), weak_labels='ignore')
    res = run(metric, [sample(PRED, LABEL)])
    # without p7: stop IoU 1/2 Acc 1; car IoU 1/2 Acc 1; road 1/2, 1/2
    assert res['mIoU'] == pytest.approx((0.5 + 0.5 + 0 + 0.5) / 4 * 100,
                                        abs=0.01)
    assert res['mPA'] == pytest.approx(62.5)
    assert res['hAcc'] == pytest.approx(66.67, abs=0.01)  # 4 / 6


def test_hier_confusion_functional(toy_taxonomy):
    t = LabelTree.build(toy_taxonomy())
    table = torch.as_tensor(t.level_ancestor_table())
    assert table[7].tolist() == [2, 5, 7]
    out = hier_confusion(
        torch.tensor([1, 6]), torch.tensor([2, -1]), table,
        torch.as_tensor(t.level), torch.as_tensor(t.leaf_index), 5)
    # one valid pixel labelled sign (coarse), predicted road: L1 row sign,
    # column road; nothing at L2/L3; no leaf-labelled pixel
    assert out['level'][0, 2, 1] == 1 and out['level'].sum() == 1
    assert out['leaf'].sum() == 0
    assert int(out['hier_correct']) == 0 and int(out['hier_total']) == 1


def test_fair_protocol_for_flat_model(toy_taxonomy):
    # flat classes: 5 leaves + coarse 'sign' (index 5)
    metric = HierIoUMetric(
        taxonomy=toy_taxonomy(),
        flat_coarse_nodes=['sign'],
        fair_protocol=True)
    logits = torch.zeros(6, 1, 3)
    logits[:, 0, 0] = torch.tensor([0., 0., 2., 0., 0., 3.])  # sign, stop
    logits[:, 0, 1] = torch.tensor([0., 0., 0., 0., 2., 3.])  # sign, car
    logits[:, 0, 2] = torch.tensor([0., 0., 0., 2., 0., 3.])  # sign, yield
    label = torch.tensor([[6, 6, 2]])  # stop, stop, sign (coarse)
    res = run(metric, [dict(seg_logits=dict(data=logits),
                            gt_sem_seg=dict(data=label[None]))])
    # p0 credited with stop; p1 stays 'sign' (2nd is car): wrong leaf but
    # right L1/L2? -> L1 sign ok, L2 none; p2 -> yield, under sign: ok
    assert res['leaf.aAcc'] == pytest.approx(50.0)
    assert res['L1.aAcc'] == pytest.approx(100.0)
    assert res['hAcc'] == pytest.approx(66.67, abs=0.01)
    with pytest.raises(ValueError, match='flat_coarse_nodes'):
        HierIoUMetric(taxonomy=toy_taxonomy(), fair_protocol=True)
    with pytest.raises(KeyError, match='nope'):
        HierIoUMetric(taxonomy=toy_taxonomy(), dataset_name='nope')


def test_accuracy_given_the_path_and_node_recall(toy_taxonomy):
    """L1: p0-p5, p7 labelled, right at p0 p2 p3 p4 p5 -> 5/7. L2: p3, p4,
    p7 labelled below 'sign'; p7's root decision is wrong, so 2 pixels are
    routed correctly and both say front -> 100. L3: the same 2 pixels,
    stop right at p3, wrong at p4 -> 50. recall.sign: the root calls 3 of
    the 4 sign pixels (p3, p4, p5; not p7) a sign -> 75."""
    metric = HierIoUMetric(taxonomy=toy_taxonomy(), recall_nodes=['sign'])
    res = run(metric, [sample(PRED, LABEL)])
    assert res['L1.given_path'] == pytest.approx(71.43)
    assert res['L2.given_path'] == pytest.approx(100.0)
    assert res['L3.given_path'] == pytest.approx(50.0)
    assert res['recall.sign'] == pytest.approx(75.0)
    with pytest.raises(Exception, match='nope'):
        HierIoUMetric(taxonomy=toy_taxonomy(), recall_nodes=['nope'])


def test_levels_from_each_classifier_own_decision(toy_taxonomy):
    """On leaf log-probabilities where the soft leaf (road) differs from the
    greedy path (sign -> front -> stop), 'greedy' scores the classifiers'
    own decisions and 'prediction' the soft leaf's ancestors."""
    # leaves: road .38, back .04, stop .22, yield .16, car .2 -> soft:
    # road; root marginals: road .38, sign .42, car .2
    probs = torch.tensor([.38, .04, .22, .16, .2])
    logits = probs.log()[:, None, None]
    label = torch.tensor([[6]])  # stop
    pred = logits.argmax(0)
    assert pred.item() == 0
    out = {}
    for mode in ('greedy', 'prediction'):
        metric = HierIoUMetric(taxonomy=toy_taxonomy(), level_decision=mode)
        out[mode] = run(metric, [dict(
            pred_sem_seg=dict(data=pred[None]), gt_sem_seg=dict(
                data=label[None]), seg_logits=dict(data=logits))])
    assert out['greedy']['L1.aAcc'] == 100.0  # root: sign (.42 vs .38)
    assert out['greedy']['L3.aAcc'] == 100.0  # front classifier: stop
    assert out['prediction']['L1.aAcc'] == 0.0  # ancestor of road
    assert out['greedy']['leaf.aAcc'] == out['prediction']['leaf.aAcc'] == 0
