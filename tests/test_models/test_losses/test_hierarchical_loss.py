# Copyright (c) mmhier contributors. All rights reserved.
"""HierarchicalLoss on a 3x3 toy map with hand-computed values.

Toy tree (tests/data/toy_tree_taxonomy.py; BFS ids): 0 root, 1 road, 2 sign,
3 car, 4 back, 5 front, 6 stop, 7 yield. Classifiers: j0 root (road, sign,
car), j1 sign (back, front), j2 front (stop, yield); level weights 1.0 / 0.1 /
0.1. Dataset ``gt`` is box-annotated (here with stop and yield), so stop/yield
get weak codes 8/9.
"""
import math

import pytest
import torch

from mmhier.models.losses import HierarchicalLoss, hierarchical_loss
from mmhier.taxonomy import LabelTree, TaxonomyError


@pytest.fixture
def toy(toy_taxonomy):
    """The toy tree with a second box class, yield (weak code 9)."""
    return toy_taxonomy(datasets=dict(
        gt=dict(classes={
            0: ('stop', 'stop'),
            1: ('yield', 'yield')
        })))


# codes: 1 road, 2 sign (coarse), 3 car, 5 front (coarse), 6 stop, 7 yield,
# 8 weak stop, 9 weak yield, 255 ignore
LABELS = torch.tensor([[1, 2, 6], [7, 8, 9], [255, 3, 5]])
L2, L3 = math.log(2), math.log(3)


def toy_logits():
    """[1, 7, 3, 3] logits, zero except:
    root (ch 0-2): (1,1) = [0,2,0] (sign; weak pixel, never trains the root),
        (2,1) = [0,0,1] (car), (2,0) = [5,0,0] (ignored pixel);
    sign (ch 3-4): (1,1) = (1,2) = [0,1] (front);
    front (ch 5-6): (1,2) = [0,3] (yield).
    """
    x = torch.zeros(1, 7, 3, 3)
    x[0, 0:3, 1, 1] = torch.tensor([0., 2., 0.])
    x[0, 0:3, 2, 1] = torch.tensor([0., 0., 1.])
    x[0, 0:3, 2, 0] = torch.tensor([5., 0., 0.])
    x[0, 3:5, 1, 1] = torch.tensor([0., 1.])
    x[0, 3:5, 1, 2] = torch.tensor([0., 1.])
    x[0, 5:7, 1, 2] = torch.tensor([0., 3.])
    return x.requires_grad_()


@pytest.fixture
def build_loss(toy):
    """Factory: a HierarchicalLoss bound to ``taxonomy`` (default: toy)."""

    def build(taxonomy=None, **kwargs):
        loss = HierarchicalLoss(**kwargs)
        loss.bind_taxonomy(LabelTree.build(taxonomy or toy))
        return loss

    return build


def test_values_parent_gate(build_loss):
    loss = build_loss(weak_gate='parent')
    out = loss(toy_logits(), LABELS[None])
    assert list(out) == [
        'loss_hier.root', 'loss_hier.sign', 'loss_hier.front',
        'weak_pass.sign', 'weak_pass.front'
    ]
    # root: per-pixel codes 1,2,6,7,3,5 (6 pixels); weak 8/9 and 255 out.
    # five pixels have zero logits -> log 3; (2,1) car: log(1 + 2/e).
    root = (5 * L3 + math.log(1 + 2 / math.e)) / 6
    # sign: per-pixel 6,7,5 (log 2 each) + weak 8 at (1,1) whose root argmax
    # is sign (gate open): target front with logits [0,1] -> log(1 + 1/e).
    # weak 9 at (1,2): root argmax road -> gated out.
    sign = 0.1 * (3 * L2 + math.log(1 + 1 / math.e)) / 4
    # front: per-pixel 6,7 (log 2) + weak 8 (sign argmax front, log 2) +
    # weak 9 at (1,2) (sign argmax front; target yield, logits [0,3]).
    front = 0.1 * (3 * L2 + math.log(1 + math.exp(-3))) / 4
    assert out['loss_hier.root'].item() == pytest.approx(root, abs=1e-6)
    assert out['loss_hier.sign'].item() == pytest.approx(sign, abs=1e-6)
    assert out['loss_hier.front'].item() == pytest.approx(front, abs=1e-6)


def weak_pixels_training(loss, logits):
    """``{classifier: sorted weak (row, col) with a gradient}``."""
    out = loss(logits, LABELS[None])
    trained = {}
    for j, (name, lo, hi) in enumerate(
            (('root', 0, 3), ('sign', 3, 5), ('front', 5, 7))):
        grad, = torch.autograd.grad(out[loss.keys[j]], logits,
                                    retain_graph=True)
        touched = grad[0, lo:hi].abs().sum(0) > 0
        trained[name] = [(r, c) for r, c in ((1, 1), (1, 2))
                         if touched[r, c]]
    return trained, out


def test_which_box_pixels_train_which_classifier(build_loss):
    """Weak stop at (1,1), weak yield at (1,2). Root decisions: sign at
    (1,1), road at (1,2); the sign classifier says front at both."""
    loss = build_loss()
    assert loss.weak_gate == 'path'  # the paper's routing is the default
    trained, out = weak_pixels_training(loss.train(), toy_logits())
    # the root never learns from boxes; (1,2) is routed to road by the root,
    # so neither sign classifier sees it
    assert trained == dict(root=[], sign=[(1, 1)], front=[(1, 1)])
    assert out['weak_pass.sign'].item() == pytest.approx(0.5)
    assert out['weak_pass.front'].item() == pytest.approx(0.5)
    assert 'weak_pass.root' not in out
    parent = build_loss(weak_gate='parent').train()
    trained, out = weak_pixels_training(parent, toy_logits())
    # the parent-only gate lets (1,2) into 'front' although the root said
    # road there: the sign-class classifier trains on the box background
    assert trained == dict(root=[], sign=[(1, 1)], front=[(1, 1), (1, 2)])
    assert out['weak_pass.front'].item() == pytest.approx(1.0)
    # evaluation mode: no gate statistics
    assert not any(k.startswith('weak_pass') for k in
                   build_loss().eval()(toy_logits(), LABELS[None]))


def test_path_gate_and_no_weak(build_loss, toy):
    out = build_loss(weak_gate='path')(toy_logits(), LABELS[None])
    # (1,2): the root says road, so the whole-path gate closes for front too
    assert out['loss_hier.front'].item() == pytest.approx(0.1 * L2, abs=1e-6)
    # warm-up not over: weak pixels never count
    t = LabelTree.build(toy)
    losses = hierarchical_loss(
        toy_logits(),
        LABELS[None],
        torch.as_tensor(t.classifier_target_lut()),
        torch.as_tensor(t.code_is_weak),
        t.classifier_sizes,
        t.classifier_parent,
        t.classifier_parent_slot, [1.0, 0.1, 0.1],
        use_weak=False)
    assert losses[1].item() == pytest.approx(0.1 * L2, abs=1e-6)
    assert losses[2].item() == pytest.approx(0.1 * L2, abs=1e-6)


def test_warmup_reads_message_hub(build_loss):
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance('test_hier_loss_warmup')
    loss = build_loss(weak_warmup_iters=10)
    hub.update_info('iter', 3)
    early = loss(toy_logits(), LABELS[None])['loss_hier.sign'].item()
    hub.update_info('iter', 10)
    late = loss(toy_logits(), LABELS[None])['loss_hier.sign'].item()
    assert early == pytest.approx(0.1 * L2, abs=1e-6)
    assert late == pytest.approx(
        0.1 * (3 * L2 + math.log(1 + 1 / math.e)) / 4, abs=1e-6)


def test_empty_classifier_is_connected_zero(build_loss):
    logits = torch.randn(2, 7, 3, 3, requires_grad=True)
    out = build_loss()(logits, torch.ones(2, 3, 3, dtype=torch.long))
    assert out['loss_hier.sign'].item() == 0.0
    assert out['loss_hier.front'].item() == 0.0
    assert out['loss_hier.front'].requires_grad
    sum(out.values()).backward()
    assert logits.grad[:, 3:].abs().sum() == 0
    assert logits.grad[:, :3].abs().sum() > 0


def skip_for_city(toy, classifiers):
    """``toy`` whose dataset ``city`` switches ``classifiers`` off."""
    city = dict(toy['datasets']['city'], skip_classifiers=classifiers)
    return dict(toy, datasets=dict(toy['datasets'], city=city))


def test_dataset_switch_batch2(build_loss, toy):
    logits = torch.cat([toy_logits().detach()] * 2).requires_grad_()
    labels = torch.stack([torch.full((3, 3), 4), LABELS])  # image 0: back
    names = ['city', 'gt']
    # the tree file's dataset spec switches the sign classifier off for city
    skip = skip_for_city(toy, ['sign'])
    on = build_loss()(logits, labels, dataset_names=names)
    off = build_loss(skip)(logits, labels, dataset_names=names)
    # image 0 adds nine back pixels: seven with zero sign logits (log 2)
    # and (1,1), (1,2) with logits [0,1] for target back: log(1 + e)
    assert on['loss_hier.sign'].item() == pytest.approx(
        0.1 * (10 * L2 + 2 * math.log(1 + math.e) +
               math.log(1 + 1 / math.e)) / 13,
        abs=1e-6)
    assert off['loss_hier.sign'].item() == pytest.approx(
        0.1 * (3 * L2 + math.log(1 + 1 / math.e)) / 4, abs=1e-6)
    with pytest.raises(KeyError, match='dataset_name'):
        build_loss(skip)(logits, labels)
    with pytest.raises(TaxonomyError, match='nope'):
        build_loss(skip_for_city(toy, ['nope']))


def test_weights_smoothing_and_errors(build_loss, toy):
    loss = build_loss(dict(toy, level_weights=[2.0, 1.0, 1.0]),
                      node_weights={'front': 0})
    out = loss(toy_logits(), LABELS[None])
    assert out['loss_hier.front'].item() == 0
    root = (5 * L3 + math.log(1 + 2 / math.e)) / 6
    assert out['loss_hier.root'].item() == pytest.approx(2 * root, abs=1e-6)
    # label smoothing 1.0 on 3 zero-logit classes: uniform target -> log 3
    smooth = build_loss(label_smoothing=1.0)(
        torch.zeros(1, 7, 3, 3), torch.ones(1, 3, 3, dtype=torch.long))
    assert smooth['loss_hier.root'].item() == pytest.approx(L3, abs=1e-6)
    with pytest.raises(ValueError, match='3 classes'):
        build_loss(class_weights={'root': [1.0, 2.0]})
    with pytest.raises(ValueError, match='loss_'):
        HierarchicalLoss(loss_name='hier')


def test_sparse_path_equals_dense_path(toy):
    """Gathering the valid pixels (few pixels in a subtree) gives the same
    losses and gradients as the dense softmax over the whole map."""
    t = LabelTree.build(toy)
    torch.manual_seed(0)
    logits = torch.randn(2, 7, 4, 5)
    codes = torch.randint(0, 10, (2, 4, 5))
    codes[0, 0, 0] = 255
    results = []
    for fraction in (0.0, 1.01):  # always dense, always sparse
        x = logits.clone().requires_grad_()
        losses = hierarchical_loss(
            x,
            codes,
            torch.as_tensor(t.classifier_target_lut()),
            torch.as_tensor(t.code_is_weak),
            t.classifier_sizes,
            t.classifier_parent,
            t.classifier_parent_slot, [1.0, 0.1, 0.1],
            label_smoothing=0.1,
            sparse_fraction=fraction)
        sum(losses).backward()
        results.append((torch.stack(losses).detach(), x.grad))
    assert torch.allclose(results[0][0], results[1][0], atol=1e-6)
    assert torch.allclose(results[0][1], results[1][1], atol=1e-6)
    assert results[0][0].ne(0).all()


def test_frequency_class_weights_by_hand():
    from mmhier.models.losses.hierarchical_loss import frequency_class_weights
    # frequencies .5 .4 .1: median .4 -> raw (.8, 1, 4) ** 1; sum f*w =
    # .4 + .4 + .4 = 1.2 -> (2/3, 5/6, 10/3)
    w = frequency_class_weights(torch.tensor([50., 40., 10.]), power=1.0)
    assert w.tolist() == pytest.approx([2 / 3, 5 / 6, 10 / 3])
    # square root, capped at 1.5; an unseen class keeps 1 before scaling:
    # raw (.8 ** .5, 1, min(2, 1.5), 1), sum f*w = .5*.894 + .4 + .1*1.5
    w = frequency_class_weights(torch.tensor([50., 40., 10., 0.]),
                                power=0.5, max_weight=1.5)
    norm = .5 * .8 ** .5 + .4 + .15
    assert w.tolist() == pytest.approx(
        [.8 ** .5 / norm, 1 / norm, 1.5 / norm, 1 / norm], rel=1e-5)
    assert frequency_class_weights(torch.zeros(3)).tolist() == [1, 1, 1]


def test_class_balance_counts_per_pixel_labels_and_resumes(build_loss):
    """Root counts from LABELS: road (1), sign (2, 6, 7, 5 -> sign slot),
    car (3); weak 8/9 and ignore do not count -> [1, 4, 1] per batch."""
    loss = build_loss(class_balance=dict(classifiers=['root'], power=1.0))
    loss.train()
    out = loss(toy_logits(), LABELS[None])
    assert loss.pixel_counts_0.tolist() == [1, 4, 1]
    # weights from [1, 4, 1]: median 1/6 -> raw (1, 1/4, 1); f*w sums to
    # 1/6 + 1/6 + 1/6 = 1/2 -> (2, 1/2, 2); root pixels: road, sign x4,
    # car (logits zero except car (2,1) = [0, 0, 1])
    road_sign = L3
    car = math.log(1 + 2 / math.e)
    expect = (2 * road_sign + 4 * 0.5 * L3 + 2 * car) / 6
    assert out['loss_hier.root'].item() == pytest.approx(expect, abs=1e-6)
    # the counts are saved and restored with the model
    state = loss.state_dict()
    assert state['pixel_counts_0'].tolist() == [1, 4, 1]
    fresh = build_loss(class_balance=dict(classifiers=['root']))
    fresh.load_state_dict(state)
    assert fresh.pixel_counts_0.tolist() == [1, 4, 1]
    # evaluation does not count
    loss.eval()
    loss(toy_logits(), LABELS[None])
    assert loss.pixel_counts_0.tolist() == [1, 4, 1]
    with pytest.raises(KeyError, match='nope'):
        build_loss(class_balance=dict(classifiers=['nope']))
    with pytest.raises(ValueError, match='both'):
        build_loss(class_weights={'root': [1, 1, 1]},
                   class_balance=dict(classifiers=['root']))
