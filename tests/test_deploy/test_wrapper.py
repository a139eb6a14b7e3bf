# Copyright (c) mmhier contributors. All rights reserved.
"""SegmentorExportWrapper computes what the PyTorch path computes (eager, no
ONNX involved)."""
import copy

import pytest
import torch
from mmseg.models.decode_heads.decode_head import BaseDecodeHead

from mmhier.apis.hier_inference import level_nodes_from_prediction
from mmhier.deploy import SegmentorExportWrapper


def _inputs(seed=0, shape=(2, 3, 64, 96)):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize('decision', ['greedy', 'soft'])
def test_hier_wrapper_matches_predict(tiny_models, decision):
    model = copy.deepcopy(tiny_models['hier'])
    head = model.decode_head
    head.decision = decision
    x = _inputs()
    with torch.no_grad():
        labels, levels, logprobs = SegmentorExportWrapper(model)(x)
        samples = model.predict(x)  # whole inference, no resize
        # the head output resized as the base class does, before decide()
        resized = BaseDecodeHead.predict_by_feat(
            head, head.forward(model.extract_feat(x)),
            [dict(img_shape=(64, 96))])
    assert labels.shape == (2, 64, 96) and levels.shape == (2, 3, 64, 96)
    for i, sample in enumerate(samples):
        assert torch.equal(labels[i], sample.pred_sem_seg.data[0])
        assert torch.equal(
            levels[i],
            head.predict_levels(sample.seg_logits.data[None])[0])
    assert torch.equal(logprobs, resized)
    if decision == 'soft':
        assert torch.equal(logprobs, torch.stack(
            [s.seg_logits.data for s in samples]))
    # bilinear interpolation of leaf log-probabilities: at most normalised
    assert float(logprobs.logsumexp(1).max()) <= 1e-5
    # the decisions vary over the image: the test is not trivial
    assert labels.unique().numel() > 3 and levels[:, 1].unique().numel() > 2
    assert (levels[:, 2] >= 0).any()  # the deepest classifiers decide too


def test_head_decision_is_the_default(tiny_models):
    model = copy.deepcopy(tiny_models['hier'])
    model.decode_head.decision = 'greedy'
    assert SegmentorExportWrapper(model).decision == 'greedy'
    assert SegmentorExportWrapper(model, 'soft').decision == 'soft'


def test_flat_wrapper_levels_from_taxonomy(tiny_models):
    model = tiny_models['flat']
    coarse = model.cfg.get('flat_coarse_nodes')
    x = _inputs(1)
    with torch.no_grad():
        labels, levels = SegmentorExportWrapper(
            model, outputs=('labels', 'levels'))(x)
        samples = model.predict(x)
    from mmhier.apis import model_taxonomy
    tree = model_taxonomy(model)
    for i, sample in enumerate(samples):
        assert torch.equal(labels[i], sample.pred_sem_seg.data[0])
        assert torch.equal(
            levels[i],
            level_nodes_from_prediction(labels[i], tree, coarse))


def test_wrapper_rejects_what_it_cannot_export(tiny_models):
    with pytest.raises(ValueError, match='flat head'):
        SegmentorExportWrapper(tiny_models['flat'], decision='greedy')
    with pytest.raises(ValueError, match='outputs must be'):
        SegmentorExportWrapper(tiny_models['hier'], outputs=('labels', 'x'))
    with pytest.raises(ValueError, match='outputs must be'):
        SegmentorExportWrapper(tiny_models['hier'], outputs=())
    model = copy.deepcopy(tiny_models['hier'])
    model.test_cfg = dict(mode='slide', crop_size=(32, 32), stride=(16, 16))
    with pytest.raises(ValueError, match="mode='whole'"):
        SegmentorExportWrapper(model)
