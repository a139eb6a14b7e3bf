# Copyright (c) mmhier contributors. All rights reserved.
"""HierarchicalDecodeHead: shapes, leaf log-probs, decision rules, grads."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmhier.models.heads import HierarchicalDecodeHead, HybridUpsample

# leaves (depth-first): road, back, stop, yield, car; slots: root 0-2,
# sign 3-4, front 5-6


@pytest.fixture
def build_head(toy_taxonomy):
    """Factory: a head on the toy tree (tests/data/toy_tree_taxonomy.py)."""

    def build(**kwargs):
        cfg = dict(
            taxonomy=toy_taxonomy(),
            in_channels=8,
            channels=16,
            norm_cfg=dict(type='BN'),
            adapt_overrides={'front': dict(dilation=2, planes=2)})
        cfg.update(kwargs)
        return HierarchicalDecodeHead(**cfg)

    return build


def test_shapes_and_leaf_log_probs(build_head):
    head = build_head().eval()
    assert not hasattr(head, 'conv_seg')
    feats = [torch.randn(2, 8, 5, 6)]
    cls_logits = head.forward_classifiers(feats)
    assert [c.shape[1] for c in cls_logits] == [3, 2, 2]
    cls_logits = torch.cat(cls_logits, dim=1)
    assert cls_logits.shape == (2, 7, 10, 12)
    out = head(feats)
    assert out.shape == (2, 5, 10, 12)
    # independent recomputation: path matrix @ per-classifier log-softmax
    logp = torch.cat([
        F.log_softmax(cls_logits[:, 0:3], 1),
        F.log_softmax(cls_logits[:, 3:5], 1),
        F.log_softmax(cls_logits[:, 5:7], 1)
    ], 1)
    path = torch.tensor([[1, 0, 0, 0, 0, 0, 0], [0, 1, 0, 1, 0, 0, 0],
                         [0, 1, 0, 0, 1, 1, 0], [0, 1, 0, 0, 1, 0, 1],
                         [0, 0, 1, 0, 0, 0, 0]], dtype=torch.float32)
    assert torch.allclose(head.path_matrix, path)
    expected = torch.einsum('ls,bshw->blhw', path, logp)
    assert torch.allclose(out, expected, atol=1e-6)
    assert torch.allclose(out.exp().sum(1), torch.ones(2, 10, 12), atol=1e-5)


def test_tables_are_the_trees(build_head):
    head = build_head()
    # nodes: root 0, road 1, sign 2, car 3, back 4, front 5, stop 6, yield 7;
    # weak code 8 = stop (box dataset gt); slots: root 0-2, sign 3-4,
    # front 5-6; leaves road 0, back 1, stop 2, yield 3, car 4
    assert head.max_depth == 3
    assert head.slot_nodes.tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert head.node_own_classifier.tolist() == [0, -1, 1, -1, -1, 2, -1, -1]
    assert head.leaf_index.tolist() == [-1, 0, -1, 4, 1, -1, 2, 3]
    assert head.leaf_node.tolist() == [1, 4, 6, 7, 3]
    assert head.slot_table.tolist() == [[0, 1, 2], [3, 4, 7], [5, 6, 7]]
    assert head.leaf_path_index.tolist() == [[0, 7, 7], [1, 3, 7], [1, 4, 5],
                                             [1, 4, 6], [2, 7, 7]]
    # per-pixel leaf codes -> leaf; internal nodes (sign, front), the weak
    # stop code, the root and ignore -> ignore_index
    expected = torch.full((256, ), 255, dtype=torch.long)
    expected[[1, 3, 4, 6, 7]] = torch.tensor([0, 4, 1, 2, 3])
    assert torch.equal(head.code_to_leaf, expected)
    # tables are rebuilt from the tree, never saved in checkpoints
    tables = ('path_matrix', 'slot_table', 'slot_nodes',
              'node_own_classifier', 'leaf_path_index', 'leaf_index',
              'leaf_node', 'code_to_leaf')
    assert not set(tables) & set(head.state_dict())


def test_num_classes_must_match_leaves(build_head):
    with pytest.raises(ValueError, match='5 leaves'):
        build_head(num_classes=6)
    with pytest.raises(KeyError, match='nope'):
        build_head(adapt_overrides={'nope': dict(dilation=2)})


def test_greedy_differs_from_soft(build_head):
    head = build_head()
    # pixel 0: root road .45 / sign .5 / car .05; sign back .6 / front .4
    #   soft: road .45 > back .3 -> road; greedy: sign, then back.
    # pixel 1: root sign .9; sign front .8; front yield .7 -> both yield.
    p = torch.tensor([[.45, .5, .05, .6, .4, .5, .5],
                      [.05, .9, .05, .2, .8, .3, .7]]).log()
    cls_logits = p.t().reshape(1, 7, 1, 2)
    leaf_logp = head.leaf_log_probs(cls_logits)
    assert leaf_logp[0, :, 0, 0].exp().tolist() == pytest.approx(
        [.45, .3, .1, .1, .05])
    assert leaf_logp.argmax(1).tolist() == [[[0, 3]]]
    levels, leaf = head.greedy_levels(leaf_logp)
    assert leaf.tolist() == [[[1, 3]]]
    # level nodes: pixel 0 sign(2) -> back(4); pixel 1 sign -> front(5) ->
    # yield(7)
    assert levels[0, :, 0, :].tolist() == [[2, 2], [4, 5], [-1, 7]]
    head.decision = 'greedy'
    onehot = head.decide(leaf_logp)
    assert onehot.argmax(1).tolist() == [[[1, 3]]]
    # log of a one-hot map: softmax is the exact one-hot vote
    assert onehot.softmax(1).sum(1).sub(1).abs().max() < 1e-6
    assert onehot.softmax(1).amax(1).eq(1).all()
    # the greedy walk on the decided map gives the same path back
    assert head.predict_levels(onehot).tolist() == levels.tolist()
    # on the soft output, per-level read-outs are still each classifier's
    # own decision (pixel 0: the root says sign although the soft leaf is
    # the root leaf 0)
    assert leaf_logp.argmax(1)[0, 0, 0] == 0
    assert head.predict_levels(leaf_logp).tolist() == levels.tolist()
    samples = [SegDataSample(seg_logits=PixelData(data=onehot[0]))]
    head.add_level_predictions(samples)
    assert samples[0].pred_level_sem_seg.data.tolist() == levels[0].tolist()


def test_predict_resizes_then_decides(build_head):
    head = build_head(decision='greedy').eval()
    out = head.predict([torch.randn(2, 8, 5, 6)],
                       [dict(img_shape=(20, 24))] * 2, None)
    assert out.shape == (2, 5, 20, 24)
    assert out.softmax(1).amax(1).eq(1).all()


def test_loss_every_parameter_gets_grad(build_head):
    head = build_head().train()
    samples = []
    for b in range(2):
        labels = torch.tensor([1, 2, 3, 4, 5, 6, 7, 8, 255]).repeat(30)
        labels = labels[torch.randperm(270)].reshape(1, 15, 18)
        s = SegDataSample(gt_sem_seg=PixelData(data=labels))
        s.set_metainfo(dict(dataset_name='city' if b == 0 else 'gt'))
        samples.append(s)
    losses = head.loss([torch.randn(2, 8, 5, 6)], samples, None)
    assert set(losses) == {
        'loss_hier.root', 'loss_hier.sign', 'loss_hier.front', 'acc_seg',
        'weak_pass.sign', 'weak_pass.front'
    }
    assert 0 <= losses['weak_pass.front'].item() <= 1
    assert 0 <= losses['acc_seg'].item() <= 100
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    missing = [n for n, p in head.named_parameters() if p.grad is None]
    assert missing == []


def test_leaf_accuracy_equals_mmseg_accuracy_on_the_leaf_map(build_head):
    """``acc_seg`` is computed on the labelled pixels only; it must equal
    mmseg's ``accuracy`` over the full-resolution leaf map."""
    from mmseg.models.losses import accuracy
    head = build_head()
    torch.manual_seed(0)
    cls_logits = [
        torch.randn(2, k, 15, 18) for k in head.classifier_sizes
    ]
    # codes 1-8 of the test tree plus ignore; some codes have no leaf
    labels = torch.tensor([1, 2, 3, 4, 5, 6, 7, 8, 255]).repeat(60)
    seg_label = labels[torch.randperm(540)].reshape(2, 15, 18)
    leaf_label = head.code_to_leaf[seg_label.clamp(
        0, len(head.code_to_leaf) - 1)]
    assert (leaf_label == head.ignore_index).any()
    assert (leaf_label != head.ignore_index).any()
    ref = accuracy(head.leaf_log_probs(cls_logits), leaf_label,
                   ignore_index=head.ignore_index)
    got = head.leaf_accuracy(cls_logits, seg_label)
    assert abs(got.item() - ref.item()) < 1e-4
    # by hand: the leaf argmax against the leaf label on labelled pixels
    valid = leaf_label != head.ignore_index
    hand = (head.leaf_log_probs(cls_logits).argmax(1)[valid] ==
            leaf_label[valid]).float().mean() * 100
    assert abs(got.item() - hand.item()) < 1e-4
    # no labelled pixel (a batch of box-only crops): 0, not an error
    none = torch.full_like(seg_label, 255)
    assert head.leaf_accuracy(cls_logits, none).item() == 0


def test_slot_log_probs_inverts_leaf_log_probs(build_head):
    """Each classifier's log-softmax back from the leaf log-probabilities:
    exact for a tree softmax, and normalised per classifier."""
    head = build_head()
    torch.manual_seed(0)
    cls_logits = [torch.randn(2, k, 3, 4) for k in head.classifier_sizes]
    leaf = head.leaf_log_probs(cls_logits)
    slots = head.slot_log_probs(leaf)
    expected = torch.cat([F.log_softmax(z, dim=1) for z in cls_logits],
                         dim=1)
    torch.testing.assert_close(slots, expected, atol=1e-5, rtol=1e-5)
    # any leaf map (e.g. resized, not a tree softmax) gives per-classifier
    # distributions that sum to one
    slots = head.slot_log_probs(torch.randn_like(leaf))
    for idx in head.classifier_slots:
        total = slots[:, list(idx)].exp().sum(1)
        torch.testing.assert_close(total, torch.ones_like(total))


def test_hybrid_upsample_exact_2x_and_bilinear_start():
    for k in (2, 3, 4, 5):
        up = HybridUpsample(3, kernel_size=k)
        assert up(torch.randn(2, 3, 7, 9)).shape == (2, 3, 14, 18)
    up = HybridUpsample(2, kernel_size=4)
    x = torch.randn(1, 2, 6, 6)
    ref = F.interpolate(x, scale_factor=2, mode='bilinear',
                        align_corners=False)
    # identical to bilinear x2 away from the border
    assert torch.allclose(up(x)[..., 1:-1, 1:-1], ref[..., 1:-1, 1:-1],
                          atol=1e-6)
    with pytest.raises(ValueError):
        HybridUpsample(2, kernel_size=1)


def test_detail_branch_reads_finer_stage(build_head):
    """``detail_cfg``: the listed branch sees the finer stage, the others
    are computed at the coarse size and resized (bilinear) to its output."""
    head = build_head(
        in_index=1,
        detail_cfg=dict(
            classifiers=['front'], in_index=0, in_channels=4,
            channels=3)).eval()
    fine = torch.randn(2, 4, 10, 12)
    coarse = torch.randn(2, 8, 5, 6)
    cls_logits = head.forward_classifiers([fine, coarse])
    assert [tuple(c.shape) for c in cls_logits] == [(2, 3, 20, 24),
                                                    (2, 2, 20, 24),
                                                    (2, 2, 20, 24)]
    # the front branch: adapter on [shared feature upsampled, lateral]
    with torch.no_grad():
        feat = head.shared(coarse)
        lateral = head.detail_lateral(fine)
        fine_in = torch.cat([
            F.interpolate(feat, size=(10, 12), mode='bilinear',
                          align_corners=False), lateral
        ], 1)
        assert head.adapters[2](fine_in).shape[1] == 8  # 4 * planes 2
        front = head.upsamplers[2](head.classifiers[2](
            head.adapters[2](fine_in)))
        root = head.upsamplers[0](head.classifiers[0](head.adapters[0](feat)))
    assert torch.allclose(cls_logits[2], front, atol=1e-5)
    assert torch.allclose(
        cls_logits[0],
        F.interpolate(root, size=(20, 24), mode='bilinear',
                      align_corners=False),
        atol=1e-5)
    # only the front branch depends on the finer stage
    other = head.forward_classifiers([torch.randn(2, 4, 10, 12), coarse])
    assert torch.allclose(other[0], cls_logits[0])
    assert torch.allclose(other[1], cls_logits[1])
    assert not torch.allclose(other[2], cls_logits[2])
    out = head([fine, coarse])
    assert out.shape == (2, 5, 20, 24)
    assert torch.allclose(out.exp().sum(1), torch.ones(2, 20, 24), atol=1e-5)


def test_detail_cfg_errors_name_the_key(build_head):
    with pytest.raises(KeyError, match='nope'):
        build_head(detail_cfg=dict(classifiers=['nope'], in_index=0,
                                   in_channels=4, channels=3))
    with pytest.raises(KeyError, match='in_channels'):
        build_head(detail_cfg=dict(classifiers=['front'], in_index=0,
                                   channels=3))
