# Copyright (c) mmhier contributors. All rights reserved.
"""HierSegTTAModel: leaf log-probabilities averaged over the views, the
head's decision rule applied once, after the merge."""
import os.path as osp

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.structures import SegDataSample

from mmhier.apis import init_model
from mmhier.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
CONFIG = osp.join(
    REPO, 'configs/hier/hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py')
FLAT = osp.join(
    REPO, 'configs/flat/flat_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py')


def _symmetric_kernels(model: nn.Module) -> None:
    """Random (He-normal, so that the prediction varies over the image)
    mirror-symmetric conv kernels: with odd feature-map widths at every
    stride, the network commutes with a horizontal flip."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(m.weight)
                m.weight.copy_((m.weight + m.weight.flip(-1)) / 2)


def _views(img: torch.Tensor, flips):
    """A TTA batch of one image: one view per flip flag (the flipped views
    hold the mirrored image, as RandomFlip(prob=1) makes it)."""
    h, w = img.shape[-2:]
    inputs, samples = [], []
    for flip in flips:
        inputs.append([img.flip(-1) if flip else img])
        samples.append([
            SegDataSample(
                metainfo=dict(
                    img_shape=(h, w),
                    ori_shape=(h, w),
                    pad_shape=(h, w),
                    flip=flip,
                    flip_direction='horizontal' if flip else None,
                    dataset_name='cityscapes'))
        ])
    return dict(inputs=inputs, data_samples=samples)


def _one_view(img: torch.Tensor, flip: bool = False):
    """The plain (non-TTA) batch of one view."""
    return {key: value[0] for key, value in _views(img, [flip]).items()}


def _tta(model):
    return MODELS.build(dict(type='HierSegTTAModel', module=model))


@pytest.fixture(scope='module')
def greedy_model():
    torch.manual_seed(0)
    model = init_model(
        CONFIG, cfg_options={'model.decode_head.decision': 'greedy'})
    _symmetric_kernels(model)
    return model


@pytest.mark.parametrize('decision', ['soft', 'greedy'])
def test_flip_tta_on_symmetric_input_keeps_the_labels(greedy_model,
                                                      decision):
    model = greedy_model
    model.decode_head.decision = decision
    torch.manual_seed(1)
    # width 33 -> 17 -> 9 -> 5 through the stride-2 layers: every sampling
    # grid is mirror-symmetric, so the model commutes with the flip
    half = torch.randint(0, 256, (3, 33, 16), dtype=torch.uint8)
    img = torch.cat([half, half[:, :, :1], half.flip(-1)], dim=-1).float()
    assert torch.equal(img, img.flip(-1))
    (plain, ) = model.test_step(_one_view(img))
    labels = plain.pred_sem_seg.data
    assert len(labels.unique()) > 3  # not a constant map
    # the prediction itself is mirror-symmetric (up to float rounding)
    assert (labels == labels.flip(-1)).float().mean() > 0.99
    (merged, ) = _tta(model).test_step(_views(img, [False, True]))
    assert model.decode_head.decision == decision  # restored
    assert merged.pred_sem_seg.data.shape == labels.shape == (1, 33, 33)
    assert (merged.pred_sem_seg.data == labels).float().mean() > 0.99
    assert merged.metainfo['dataset_name'] == 'cityscapes'


def test_merge_is_mean_leaf_log_prob_then_greedy(greedy_model):
    model = greedy_model
    model.decode_head.decision = 'greedy'
    torch.manual_seed(2)
    img = torch.randint(0, 256, (3, 33, 41)).float()
    (merged, ) = _tta(model).test_step(_views(img, [False, True]))
    # by hand: each view's leaf log-probabilities (soft rule), flipped back
    # by the segmentor, averaged, then the greedy rule of the head
    model.decode_head.decision = 'soft'
    try:
        views = [
            model.test_step(_one_view(img, flip))[0].seg_logits.data
            for flip in (False, True)
        ]
    finally:
        model.decode_head.decision = 'greedy'
    mean = (views[0] + views[1]) / 2
    _, leaf = model.decode_head.greedy_levels(mean[None])
    assert len(leaf.unique()) > 3
    assert torch.equal(merged.pred_sem_seg.data, leaf)
    # the log of the greedy one-hot map is what seg_logits holds, as
    # without TTA: 0 at the decided leaf, the head's floor elsewhere
    assert torch.equal(merged.seg_logits.data.argmax(0, keepdim=True), leaf)
    assert merged.seg_logits.data.eq(0).sum(0).eq(1).all()
    assert torch.equal(merged.seg_logits.data,
                       model.decode_head.decide(mean[None])[0])


def test_flat_model_averages_log_softmax():
    torch.manual_seed(0)
    model = init_model(FLAT)
    img = torch.randint(0, 256, (3, 24, 40)).float()
    (merged, ) = _tta(model).test_step(_views(img, [False, True]))
    views = [
        model.test_step(_one_view(img, flip))[0].seg_logits.data
        for flip in (False, True)
    ]
    mean = (F.log_softmax(views[0], 0) + F.log_softmax(views[1], 0)) / 2
    torch.testing.assert_close(merged.seg_logits.data, mean)
    assert torch.equal(merged.pred_sem_seg.data, mean.argmax(0, keepdim=True))


def test_unflipped_classifier_merged_from_unmirrored_views(greedy_model):
    """With ``unflipped_classifiers``, the sign classifier's own
    log-softmax is the mean over the unmirrored views, every other
    classifier's the mean over all views, each renormalised; leaves are
    put back together along the tree, then the head decides."""
    model = greedy_model
    model.decode_head.decision = 'greedy'
    head = model.decode_head
    torch.manual_seed(3)
    img = torch.randint(0, 256, (3, 33, 41)).float()
    flips = [False, True, False]
    imgs = [img, img, img * 0.5]  # two different unmirrored views
    data = _views(img, flips)
    data['inputs'] = [[im.flip(-1) if f else im]
                      for im, f in zip(imgs, flips)]
    tta = MODELS.build(
        dict(
            type='HierSegTTAModel',
            module=model,
            unflipped_classifiers=['traffic sign front']))
    (merged, ) = tta.test_step(data)
    # by hand
    head.decision = 'soft'
    try:
        views = [
            model.test_step(_one_view(im, f))[0].seg_logits.data
            for im, f in zip(imgs, flips)
        ]
    finally:
        head.decision = 'greedy'
    slots = torch.stack([head.slot_log_probs(v[None])[0] for v in views])
    names = list(head.tree.classifier_names)
    sign = list(head.classifier_slots[names.index('traffic sign front')])
    root = list(head.classifier_slots[names.index('root')])
    mean = slots.mean(0)
    mean[sign] = (slots[0, sign] + slots[2, sign]) / 2
    assert not torch.allclose(mean[sign], slots[:, sign].mean(0))
    for idx in head.classifier_slots:  # renormalised per classifier
        mean[list(idx)] = F.log_softmax(mean[list(idx)], dim=0)
    leaf = torch.stack([
        mean[path[path < mean.shape[0]]].sum(0)
        for path in head.leaf_path_index
    ])
    torch.testing.assert_close(merged.seg_logits.data,
                               head.decide(leaf[None])[0])
    # the root still merges all three views (the renormalised mean of the
    # views' log-softmaxes)
    merged_slots = head.slot_log_probs(leaf[None])[0]
    torch.testing.assert_close(merged_slots[root],
                               F.log_softmax(slots[:, root].mean(0), dim=0),
                               atol=1e-4, rtol=1e-4)
    # without the option: the plain mean of leaf log-probabilities
    (plain, ) = _tta(model).test_step(data)
    torch.testing.assert_close(
        plain.seg_logits.data,
        head.decide(torch.stack(views).mean(0)[None])[0])


def test_unflipped_classifiers_unknown_name_is_named(greedy_model):
    tta = MODELS.build(
        dict(
            type='HierSegTTAModel',
            module=greedy_model,
            unflipped_classifiers=['traffic sign frnt']))
    img = torch.randint(0, 256, (3, 17, 17)).float()
    with pytest.raises(KeyError, match="'traffic sign frnt'.*root"):
        tta.test_step(_views(img, [False, True]))
