# Copyright (c) mmhier contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from mmhier.registry import MODELS

NUM_CLASSES = 3


def _tiny_model(neck='mmpretrain.GlobalAveragePooling'):
    init_default_scope('mmhier')
    model = MODELS.build(
        dict(
            type='ReIDModel',
            backbone=dict(
                type='mmpretrain.ResNet',
                depth=18,
                stem_channels=8,
                base_channels=8,
                strides=(1, 2, 2, 1),
                out_indices=(3, )),
            neck=dict(type=neck),
            head=dict(
                type='ReIDHead', in_channels=64, num_classes=NUM_CLASSES)))
    model.init_weights()
    return model


def _samples(labels):
    return [DataSample().set_gt_label(int(y)) for y in labels]


def test_tensor_mode_shapes_last_stride_and_bnneck():
    torch.manual_seed(0)
    model = _tiny_model()
    x = torch.randn(4, 3, 64, 32)
    # last stride 1: total stride 16 -> 4 x 2 feature map for a 64 x 32 input
    assert model.backbone(x)[-1].shape[-2:] == (4, 2)
    out = model(x, mode='tensor')
    assert out['feat'].shape == (4, 64) and out['bn_feat'].shape == (4, 64)
    assert out['logits'].shape == (4, NUM_CLASSES)
    head = model.head
    assert head.classifier.bias is None
    assert not head.bnneck.bias.requires_grad
    # bn_feat is the training-mode BN of feat; logits are W @ bn_feat
    expected_bn = F.batch_norm(out['feat'], None, None, head.bnneck.weight,
                               head.bnneck.bias, training=True)
    assert torch.allclose(out['bn_feat'], expected_bn, atol=1e-5)
    assert torch.allclose(out['logits'],
                          out['bn_feat'] @ head.classifier.weight.t(),
                          atol=1e-6)


def test_loss_mode_trains_and_predict_mode_normalises():
    torch.manual_seed(0)
    model = _tiny_model(neck='mmpretrain.GeneralizedMeanPooling')
    x = torch.randn(6, 3, 64, 32)
    losses = model(x, _samples([0, 0, 1, 1, 2, 2]), mode='loss')
    assert set(losses) == {'loss_ce', 'loss_tri', 'accuracy'}
    total = losses['loss_ce'] + losses['loss_tri']
    total.backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0
    assert model.head.classifier.weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='num_classes'):
        model(x, _samples([0, 1, 2, 3, 0, 1]), mode='loss')

    model.eval()
    preds = model(x, _samples([0] * 6), mode='predict')
    feats = torch.stack([p.pred_feat for p in preds])
    assert torch.allclose(feats.norm(dim=1), torch.ones(6), atol=1e-5)
    with torch.no_grad():
        bn_feat = model(x, mode='tensor')['bn_feat']
    assert torch.allclose(feats, F.normalize(bn_feat, dim=1), atol=1e-5)


def test_reset_classifier_keeps_parameter_object():
    model = _tiny_model()
    weight = model.head.classifier.weight
    centroids = torch.randn(5, 64) * 3
    model.reset_classifier(centroids)
    assert model.head.classifier.weight is weight
    assert weight.shape == (5, 64) and model.head.num_classes == 5
    assert torch.allclose(weight, F.normalize(centroids, dim=1))
    out = model(torch.randn(2, 3, 64, 32), mode='tensor')
    assert out['logits'].shape == (2, 5)
    with pytest.raises(ValueError, match='centroids'):
        model.reset_classifier(torch.randn(5, 32))


def test_pruned_backbone_narrows_head_and_clustering_follows():
    """Structural pruning of the backbone's last stage narrows the BNNeck
    and the classifier; ``in_channels`` follows them, so the centroids of a
    clustering step on the pruned features reset the classifier."""
    from mmhier.pruning import PruningPlanner
    model = _tiny_model()
    model.eval()
    PruningPlanner(layers=[r'^backbone\.'],
                   ignored_layers=[r'^head\.classifier']).step(
                       model,
                       torch.randn(1, 3, 64, 32), 0.5)
    width = model.head.bnneck.num_features
    assert width < 64
    assert model.head.in_channels == width
    assert model.head.classifier.in_features == width
    feats = model(torch.randn(6, 3, 64, 32), mode='tensor')['bn_feat']
    assert feats.shape == (6, width)
    centroids = torch.stack([feats[:3].mean(0), feats[3:].mean(0)])
    model.reset_classifier(centroids)
    assert model.head.classifier.weight.shape == (2, width)
    assert torch.allclose(model.head.classifier.weight,
                          F.normalize(centroids, dim=1))
    with pytest.raises(ValueError, match=f'\\(C, {width}\\)'):
        model.reset_classifier(torch.randn(2, 64))
