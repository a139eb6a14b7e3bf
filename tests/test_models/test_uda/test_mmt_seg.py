# Copyright (c) mmhier contributors. All rights reserved.
"""MMT around a tiny hierarchical segmentor: construction, loss keys,
gradients (peers only), one-peer mean teacher, aligned view augmentation."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import mmhier  # noqa: F401
from mmhier.models.uda import SegMutualMeanTeaching, SegViewAugment
from mmhier.registry import MODELS

TOY = osp.join(
    osp.dirname(osp.dirname(osp.dirname(__file__))), 'data',
    'hier_toy_taxonomy.py')


def toy_taxonomy():
    taxonomy = Config.fromfile(TOY)['taxonomy'].to_dict()
    taxonomy['datasets']['cityscapes_target'] = dict(base='cityscapes')
    return taxonomy


def tiny_segmentor():
    norm_cfg = dict(type='BN', requires_grad=True)
    # ConfigDict as in a config file (EncoderDecoder reads test_cfg.mode)
    return ConfigDict(
        type='EncoderDecoder',
        data_preprocessor=dict(
            type='SegDataPreProcessor', mean=[0, 0, 0], std=[1, 1, 1],
            size=(32, 32), seg_pad_val=255),
        backbone=dict(
            type='ResNetV1c', depth=18, stem_channels=8, base_channels=4,
            out_indices=(3, ), dilations=(1, 1, 2, 4), strides=(1, 2, 1, 1),
            norm_cfg=norm_cfg, contract_dilation=True),
        decode_head=dict(
            type='HierarchicalDecodeHead', taxonomy=toy_taxonomy(),
            in_channels=32, in_index=0, channels=8,
            adapt_cfg=dict(num_blocks=1, planes=2), dropout_ratio=0.0,
            norm_cfg=norm_cfg),
        train_cfg=dict(), test_cfg=dict(mode='whole'))


def build(**kwargs):
    # the segmentor's BaseModel builds its data preprocessor from MMEngine's
    # root registry, which finds mmseg types under the runner's scope only
    if DefaultScope.get_current_instance() is None:
        DefaultScope.get_instance('test_mmt_seg', scope_name='mmhier')
    cfg = dict(type='SegMutualMeanTeaching', model=tiny_segmentor(),
               target_datasets='cityscapes_target', pseudo_threshold=0.0)
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def batch(num_src=2, num_tgt=2):
    torch.manual_seed(1)
    inputs = torch.randn(num_src + num_tgt, 3, 32, 32)
    samples = []
    for k in range(num_src + num_tgt):
        meta = dict(img_shape=(32, 32), ori_shape=(32, 32),
                    pad_shape=(32, 32), img_path=f'{k}.png',
                    dataset_name='cityscapes' if k < num_src else
                    'cityscapes_target')
        sample = SegDataSample(metainfo=meta)
        if k < num_src:  # sky / driveable / person / traffic sign codes
            codes = torch.tensor([1, 2, 3, 4])[torch.randint(0, 4, (32, 32))]
            sample.gt_sem_seg = PixelData(data=codes[None])
        samples.append(sample)
    return inputs, samples


def test_construction_and_data_preprocessor():
    model = build()
    assert isinstance(model, SegMutualMeanTeaching) and model.net_names == [
        'peer1', 'peer2', 'mean1', 'mean2']
    assert type(model.data_preprocessor).__name__ == 'SegDataPreProcessor'
    assert not hasattr(model, 'loss_tri')
    with pytest.raises(ValueError, match='target_datasets'):
        build(target_datasets=None)
    with pytest.raises(ValueError, match='num_peers'):
        build(num_peers=3)
    with pytest.raises(ValueError, match='test_net'):
        build(num_peers=1, test_net='mean2')
    # the re-ID model's registered name points a segmentor to this class
    with pytest.raises(TypeError, match="type='SegMutualMeanTeaching'"):
        MODELS.build(dict(type='MMT', model=tiny_segmentor()))


def test_seg_loss_keys_finite_grads_reach_peers_only():
    model = build()
    model.train()
    inputs, samples = batch()
    losses = model(inputs, samples, mode='loss')
    expected = {'pseudo_ratio'} | {
        f'{k}_{i}' for i in (1, 2)
        for k in ('loss_src', 'loss_pseudo', 'loss_soft', 'acc_src')
    }
    assert set(losses) == expected
    assert all(torch.isfinite(v).all() for v in losses.values())
    # threshold 0: every target pixel has a pseudo label
    assert losses['pseudo_ratio'].item() == 1.0
    assert all(losses[f'loss_{k}_{i}'].item() > 0
               for k in ('src', 'pseudo', 'soft') for i in (1, 2))
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    total.backward()
    for net in model.peers:
        grads = [p.grad for p in net.parameters()]
        assert all(g is not None for g in grads)
        assert sum(g.abs().sum() for g in grads) > 0
    for net in model.mean_nets:
        assert all(p.grad is None for p in net.parameters())


def test_soft_term_uses_the_other_mean_net():
    """Perturbing mean2 changes peer1's soft term only (and the shared
    pseudo labels, which are off at threshold 1)."""
    model = build(pseudo_threshold=1.0)
    model.train()
    inputs, samples = batch()
    before = model(inputs, samples, mode='loss')
    with torch.no_grad():
        for p in model.mean2.decode_head.classifiers.parameters():
            p.add_(torch.randn_like(p))
    after = model(inputs, samples, mode='loss')
    assert after['loss_soft_1'].item() != pytest.approx(
        before['loss_soft_1'].item(), abs=1e-6)
    assert after['loss_soft_2'].item() == pytest.approx(
        before['loss_soft_2'].item(), abs=1e-6)


def test_one_peer_mean_teacher_and_batch_errors():
    model = build(num_peers=1)
    model.train()
    assert model.net_names == ['peer1', 'mean1'] and model.teacher_of(0) == 0
    inputs, samples = batch(num_src=1, num_tgt=3)
    losses = model(inputs, samples, mode='loss')
    assert {k for k in losses if k.endswith('_2')} == set()
    assert set(losses) >= {'loss_src_1', 'loss_pseudo_1', 'loss_soft_1'}
    # a target-only batch still gives graph-connected source zeros
    inputs, samples = batch(num_src=0, num_tgt=2)
    losses = model(inputs, samples, mode='loss')
    assert losses['loss_src_1'].item() == 0 and \
        losses['loss_src_1'].requires_grad
    samples[0] = SegDataSample(metainfo=dict(img_path='0.png'))
    with pytest.raises(KeyError, match="dataset_name"):
        model(inputs, samples, mode='loss')


def test_predict_uses_mean_net():
    model = build(test_net='mean2')
    model.eval()
    inputs, samples = batch(num_src=2, num_tgt=0)
    out = model(inputs, samples, mode='predict')
    expected = model.mean2(inputs, batch()[1][:2], mode='predict')
    assert torch.equal(out[0].pred_sem_seg.data, expected[0].pred_sem_seg.data)


def test_view_augment_moves_images_and_labels_alike():
    aug = SegViewAugment()
    label = torch.arange(16.).view(1, 1, 4, 4)
    # flip only
    theta = torch.tensor([[[-1., 0., 0.], [0., 1., 0.]]])
    assert torch.equal(aug.warp(label, theta, mode='nearest'),
                       label.flip(-1))
    # zoom x2 into the bottom-right quadrant, at the same and at half size
    theta = torch.tensor([[[0.5, 0., 0.5], [0., 0.5, 0.5]]])
    quad = label[..., 2:, 2:]
    assert torch.equal(
        aug.warp(label, theta, mode='nearest'),
        quad.repeat_interleave(2, -1).repeat_interleave(2, -2))
    assert torch.equal(aug.warp(label, theta, (2, 2), mode='nearest'), quad)
    # sampled views: zoom-in only, reproducible from the generator
    p1 = aug.sample(8, torch.Generator().manual_seed(3))
    p2 = aug.sample(8, torch.Generator().manual_seed(3))
    assert torch.equal(p1['theta'], p2['theta'])
    s = p1['theta'][:, 1, 1]
    assert ((s >= 0.75) & (s <= 1)).all()
    assert (p1['theta'][:, :, 2].abs() <= (1 - s)[:, None] + 1e-6).all()
    with pytest.raises(ValueError, match='zoom-in'):
        SegViewAugment(scale_range=(0.5, 1.5))
