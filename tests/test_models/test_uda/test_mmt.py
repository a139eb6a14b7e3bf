# Copyright (c) mmhier contributors. All rights reserved.
import importlib.util
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample

import mmhier  # noqa: F401
from mmhier.registry import MODELS

# registers the stand-in re-ID net ToyReIDNet (tests use importlib mode)
_spec = importlib.util.spec_from_file_location(
    'mmhier_test_toy_reid', Path(__file__).with_name('toy_reid.py'))
_spec.loader.exec_module(importlib.util.module_from_spec(_spec))

PREPROCESSOR = dict(
    type='mmpretrain.SelfSupDataPreprocessor', mean=[0, 0, 0], std=[1, 1, 1])


def build_mmt(**kwargs):
    cfg = dict(
        type='MMT',
        model=dict(type='ToyReIDNet', feat_dim=4, num_classes=3),
        data_preprocessor=PREPROCESSOR)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def samples(idx):
    return [DataSample(metainfo=dict(sample_idx=i)) for i in idx]


def _softmax_triplet_terms(f, f_t, y):
    """Direct batch-hard softmax-triplet (hard, soft) from the formulas."""
    n = len(y)
    d = torch.cdist(f, f)
    d_t = torch.cdist(f_t, f_t)
    hard, soft = [], []
    for i in range(n):
        pos = [j for j in range(n) if y[j] == y[i]]
        neg = [j for j in range(n) if y[j] != y[i]]
        p = max(pos, key=lambda j: d[i, j].item())
        q = min(neg, key=lambda j: d[i, j].item())
        logp = F.log_softmax(torch.stack([d[i, p], d[i, q]]), 0)
        target = F.softmax(torch.stack([d_t[i, p], d_t[i, q]]), 0)
        hard.append(-logp[1])
        soft.append(-(target * logp).sum())
    return torch.stack(hard).mean(), torch.stack(soft).mean()


def test_builds_four_nets_mean_nets_frozen_and_copies():
    model = build_mmt()
    model.init_weights()
    for peer, mean in zip(model.peers, model.mean_nets):
        assert mean is not peer
        for (n, p), (_, m) in zip(peer.named_parameters(),
                                  mean.named_parameters()):
            assert p.requires_grad and not m.requires_grad, n
            assert torch.equal(p, m)
    assert model.pseudo_labels.numel() == 0
    default = build_mmt(data_preprocessor=None).data_preprocessor
    views = default(
        dict(inputs=[torch.zeros(1, 3, 2, 2)] * 2, data_samples=samples([0])),
        True)
    assert type(default).__name__ == 'SelfSupDataPreprocessor'
    torch.testing.assert_close(views['inputs'][1][0, :, 0, 0],
                               -torch.tensor([123.675, 116.28, 103.53]) /
                               torch.tensor([58.395, 57.12, 57.375]))
    with pytest.raises(ValueError, match='test_net'):
        build_mmt(test_net='mean3')
    with pytest.raises(ValueError, match='lambda'):
        build_mmt(lambda_id=1.5)


def test_loss_equals_sum_of_four_terms():
    torch.manual_seed(0)
    model = build_mmt(lambda_id=0.5, lambda_tri=0.8)
    model.init_weights()
    model.train()
    # peers and mean nets differ (as after some training)
    with torch.no_grad():
        for p in model.mean1.parameters():
            p.add_(0.1 * torch.randn_like(p))
        for p in model.mean2.parameters():
            p.sub_(0.1 * torch.randn_like(p))
    model.set_pseudo_labels(torch.tensor([0, 0, 1, 1, 2, 2, -1, 1]))
    # batch order is not dataset order; sample 6 is an outlier
    idx = [3, 0, 6, 2, 5, 1, 4]
    v1, v2 = torch.randn(7, 3, 6, 5), torch.randn(7, 3, 6, 5)
    data = model.data_preprocessor(
        dict(inputs=[v1, v2], data_samples=samples(idx)), True)
    losses = model(**data, mode='loss')

    y_all = torch.tensor([1, 0, -1, 1, 2, 0, 2])
    keep = y_all >= 0
    y = y_all[keep]
    # forward again with the same train-mode BN (batch statistics)
    outs = [net(v, mode='tensor') for net, v in ((model.peer1, v1),
                                                 (model.peer2, v2),
                                                 (model.mean1, v1),
                                                 (model.mean2, v2))]
    expected = {}
    for tag, (s, t) in (('1', (outs[0], outs[3])), ('2', (outs[1],
                                                          outs[2]))):
        logits = s['logits'][keep]
        t_logits = t['logits'][keep]
        c = logits.shape[1]
        q = F.one_hot(y, c) * 0.9 + 0.1 / c
        ce = -(q * F.log_softmax(logits, 1)).sum(1).mean()
        sce = -(F.softmax(t_logits, 1) * F.log_softmax(logits, 1)).sum(
            1).mean()
        tri, stri = _softmax_triplet_terms(s['feat'][keep], t['feat'][keep],
                                           y)
        expected[f'loss_ce_{tag}'] = 0.5 * ce
        expected[f'loss_soft_ce_{tag}'] = 0.5 * sce
        expected[f'loss_tri_{tag}'] = 0.2 * tri
        expected[f'loss_soft_tri_{tag}'] = 0.8 * stri
    for k, v in expected.items():
        torch.testing.assert_close(losses[k], v, rtol=1e-5, atol=1e-6)
    assert set(k for k in losses if 'loss' in k) == set(expected)
    total, _ = model.parse_losses(losses)
    torch.testing.assert_close(total, sum(expected.values()))
    # gradients reach the peers only
    total.backward()
    assert model.peer1.conv.weight.grad is not None
    assert model.peer2.conv.weight.grad is not None
    assert model.mean1.conv.weight.grad is None


def test_mean_nets_update_their_own_bn_statistics():
    model = build_mmt()
    model.init_weights()
    model.train()
    model.set_pseudo_labels(torch.tensor([0, 0, 1, 1]))
    v1, v2 = torch.randn(4, 3, 5, 5) + 2, torch.randn(4, 3, 5, 5) - 2
    before = model.mean2.bn.running_mean.clone()
    model.loss([v1, v2], samples([0, 1, 2, 3]))
    # mean2 ran forward in train mode on view 2 (authors' model_2_ema(x_2))
    expected = torch.nn.BatchNorm2d(4)
    expected.load_state_dict(
        {k: v for k, v in model.peer2.bn.state_dict().items()})
    expected.running_mean.copy_(before)
    expected.train()(model.mean2.conv(v2))
    torch.testing.assert_close(model.mean2.bn.running_mean,
                               expected.running_mean)
    assert not torch.equal(model.mean2.bn.running_mean, before)


def test_loss_errors_name_the_problem():
    model = build_mmt()
    with pytest.raises(RuntimeError, match='ClusterPseudoLabelHook'):
        model.loss([torch.randn(2, 3, 4, 4)] * 2, samples([0, 1]))
    model.set_pseudo_labels(torch.tensor([0, 1]))
    with pytest.raises(IndexError, match='sample_idx 5'):
        model.loss([torch.randn(2, 3, 4, 4)] * 2, samples([0, 5]))
    with pytest.raises(TypeError, match='MultiView'):
        model.loss(torch.randn(2, 3, 4, 4), samples([0, 1]))
    with pytest.raises(KeyError, match='sample_idx'):
        model.loss([torch.randn(2, 3, 4, 4)] * 2, [DataSample()] * 2)


def test_all_outliers_give_connected_zero():
    model = build_mmt()
    model.train()
    model.set_pseudo_labels(torch.tensor([-1, -1]))
    losses = model.loss([torch.randn(2, 3, 4, 4)] * 2, samples([0, 1]))
    total, _ = model.parse_losses(losses)
    assert total.item() == 0
    total.backward()
    assert model.peer1.conv.weight.grad is not None


def test_predict_and_tensor_use_selected_mean_net():
    torch.manual_seed(0)
    model = build_mmt(test_net='auto')
    model.init_weights()
    with torch.no_grad():
        for p in model.mean2.parameters():
            p.add_(1.0)
    model.eval()
    x = torch.randn(3, 3, 4, 4)
    out = model(x, mode='tensor')
    torch.testing.assert_close(out['bn_feat'],
                               model.mean1(x, mode='tensor')['bn_feat'])
    model.best_mean.fill_(1)
    pred = model(x, samples([0, 1, 2]), mode='predict')
    torch.testing.assert_close(
        torch.stack([p.pred_feat for p in pred]),
        F.normalize(model.mean2(x, mode='tensor')['bn_feat'], dim=1))
    fixed = build_mmt(test_net='mean2')
    assert fixed.test_model is fixed.mean2


def test_cluster_features_average_of_mean_nets_in_eval():
    torch.manual_seed(0)
    model = build_mmt()
    model.init_weights()
    model.train()
    x = torch.randn(3, 3, 4, 4)
    feat = model.cluster_features(x)
    assert model.mean1.training and model.mean2.training  # restored
    model.eval()
    f1 = F.normalize(model.mean1(x)['bn_feat'], dim=1)
    f2 = F.normalize(model.mean2(x)['bn_feat'], dim=1)
    torch.testing.assert_close(feat, (f1 + f2) / 2)


def test_cluster_features_of_one_and_two_peers_by_hand():
    torch.manual_seed(0)
    x = torch.randn(3, 3, 4, 4)
    # one peer: exactly the single mean net's L2-normalised BN feature
    model = build_mmt(num_peers=1)
    model.init_weights()
    assert model.net_names == ['peer1', 'mean1']
    assert [n for n, _ in model.named_children()
            if n.startswith(('peer', 'mean'))] == ['peer1', 'mean1']
    model.eval()
    with torch.no_grad():
        bn_feat = model.mean1(x)['bn_feat']
    torch.testing.assert_close(model.cluster_features(x),
                               bn_feat / bn_feat.norm(dim=1, keepdim=True))
    # two peers with different mean nets: the mean of the two features,
    # here for mean nets whose BN features are known by construction
    model = build_mmt()
    model.init_weights()
    model.eval()
    with torch.no_grad():
        for k, mean in enumerate(model.mean_nets):
            mean.bnneck.reset_running_stats()  # BN1d = identity, then
            mean.bnneck.weight.zero_()  # a constant BN feature:
            mean.bnneck.bias.copy_(torch.tensor([[3., 4., 0., 0.],
                                                 [0., 0., 0., 2.]])[k])
    # (0.6, 0.8, 0, 0) and (0, 0, 0, 1) averaged
    expected = torch.tensor([[0.3, 0.4, 0.0, 0.5]]).expand(3, 4)
    torch.testing.assert_close(model.cluster_features(x), expected)


def test_peer_init_from_one_or_two_checkpoints(tmp_path):
    torch.manual_seed(0)
    src1 = MODELS.build(dict(type='ToyReIDNet', num_classes=7))
    src2 = MODELS.build(dict(type='ToyReIDNet', num_classes=7))
    torch.save({'state_dict': src1.state_dict()}, tmp_path / 'a.pth')
    torch.save({'state_dict': src2.state_dict()}, tmp_path / 'b.pth')
    model = build_mmt(peer_init=[str(tmp_path / 'a.pth'),
                                 str(tmp_path / 'b.pth')])
    model.init_weights()
    torch.testing.assert_close(model.peer1.conv.weight, src1.conv.weight)
    torch.testing.assert_close(model.peer2.conv.weight, src2.conv.weight)
    torch.testing.assert_close(model.mean2.conv.weight, src2.conv.weight)
    torch.testing.assert_close(model.mean1.bn.running_var,
                               src1.bn.running_var)
    # source classifier (7 identities) is skipped: shape of the target one
    assert model.peer1.classifier.weight.shape == (3, 4)
    one = build_mmt(peer_init=str(tmp_path / 'a.pth'))
    one.init_weights()
    torch.testing.assert_close(one.peer2.conv.weight, src1.conv.weight)
    torch.save({'state_dict': {'foo': torch.zeros(1)}}, tmp_path / 'c.pth')
    bad = build_mmt(peer_init=str(tmp_path / 'c.pth'))
    with pytest.raises(KeyError, match='c.pth'):
        bad.init_weights()


def test_state_dict_roundtrip_resizes_classifiers_and_labels():
    model = build_mmt()
    model.set_pseudo_labels(torch.tensor([0, 4, -1, 2, 1]))
    model.reset_classifiers(torch.randn(5, 4))
    state = model.state_dict()
    fresh = build_mmt()
    fresh.load_state_dict(state)
    assert torch.equal(fresh.pseudo_labels, model.pseudo_labels)
    for name in ('peer1', 'peer2', 'mean1', 'mean2'):
        w = getattr(fresh, name).classifier.weight
        assert w.shape == (5, 4)
        assert w.requires_grad == name.startswith('peer')
        torch.testing.assert_close(w, getattr(model, name).classifier.weight)


def test_peer_init_only_classifier_rows_may_differ(tmp_path):
    """A source checkpoint whose other weights do not fit (another feature
    width, a pruned backbone, a missing key) is an error naming the key;
    only the classifier's rows (source identities vs. target clusters) may
    differ."""
    torch.manual_seed(0)
    wide = MODELS.build(dict(type='ToyReIDNet', feat_dim=6, num_classes=7))
    torch.save({'state_dict': wide.state_dict()}, tmp_path / 'wide.pth')
    with pytest.raises(ValueError) as err:
        build_mmt(peer_init=str(tmp_path / 'wide.pth')).init_weights()
    message = str(err.value)
    assert 'wide.pth' in message and "'conv.weight'" in message
    assert '(6, 3, 3, 3)' in message and '(4, 3, 3, 3)' in message
    # the classifier's columns (the feature width) must fit too
    assert "'classifier.weight'" in message

    src = MODELS.build(dict(type='ToyReIDNet', num_classes=7))
    state = src.state_dict()
    del state['bn.running_mean']
    torch.save({'state_dict': state}, tmp_path / 'partial.pth')
    with pytest.raises(KeyError) as err:
        build_mmt(peer_init=str(tmp_path / 'partial.pth')).init_weights()
    assert 'partial.pth' in str(err.value)
    assert "'bn.running_mean'" in str(err.value)


def test_peer_init_strict_false_loads_what_fits_and_logs(tmp_path,
                                                         monkeypatch):
    import mmhier.models.uda.mmt_base as mmt_module
    torch.manual_seed(0)
    src = MODELS.build(dict(type='ToyReIDNet', num_classes=7))
    state = src.state_dict()
    state['bn.weight'] = torch.ones(5)  # another width
    del state['bn.running_mean']
    torch.save({'state_dict': state}, tmp_path / 'partial.pth')
    logged = []
    monkeypatch.setattr(mmt_module, 'print_log',
                        lambda msg, *a, **k: logged.append(msg))
    model = build_mmt(peer_init=str(tmp_path / 'partial.pth'),
                      peer_init_strict=False)
    model.init_weights()
    torch.testing.assert_close(model.peer1.conv.weight, src.conv.weight)
    torch.testing.assert_close(model.mean2.bn.bias, src.bn.bias)
    assert model.peer1.bn.weight.shape == (4, )
    text = '\n'.join(logged)
    assert "'bn.weight'" in text and "'bn.running_mean'" in text
    assert 'partial.pth' in text
