# Copyright (c) mmhier contributors. All rights reserved.
"""ORTSegmentor returns the SegDataSample fields of the PyTorch path
(``inference_levels``) for images at the graph's size and for images the
test pipeline resizes, for the hierarchical (greedy and soft), flat and
pruned models."""
import mmcv
import numpy as np
import pytest
import torch

from mmhier.apis import inference_levels
from mmhier.deploy import ORTSegmentor

GRAPH_MODEL = dict(hier='hier', hier_soft='hier', flat='flat',
                   pruned='pruned')


def _images(seed, shape, num):
    rng = np.random.default_rng(seed)
    # smooth random images: every region is more than one pixel wide
    small = rng.integers(0, 256, (num, shape[0] // 8, shape[1] // 8, 3))
    return [
        mmcv.imresize(s.astype(np.uint8), (shape[1], shape[0]))
        for s in small
    ]


def assert_same_samples(got, want):
    assert set(got.keys()) == set(want.keys())
    a, b = got.pred_sem_seg.data, want.pred_sem_seg.data
    assert a.shape == b.shape and a.dtype == b.dtype
    assert (a == b).float().mean() >= 0.999
    if 'seg_logits' in want:
        diff = (got.seg_logits.data - want.seg_logits.data).abs().max()
        assert float(diff) < 1e-4
    assert torch.equal(got.pred_level_sem_seg.data,
                       want.pred_level_sem_seg.data)


@pytest.mark.parametrize('key', list(GRAPH_MODEL))
def test_same_samples_as_pytorch(key, tiny_models, tiny_graphs, tmp_path):
    path, decision = tiny_graphs[key]
    model = tiny_models[GRAPH_MODEL[key]]
    head = model.decode_head
    old = getattr(head, 'decision', None)
    if old is not None:
        head.decision = decision
    try:
        segmentor = ORTSegmentor(path, num_threads=1)  # config from file
        # a file, one image: a sample, not a list
        file = str(tmp_path / 'img.png')
        mmcv.imwrite(_images(7, (64, 96), 1)[0], file)
        assert_same_samples(segmentor(file), inference_levels(model, file))
        # 64x96 keeps its size in the (small) test pipeline; 48x80 is
        # resized to 64x107 and the outputs back to 48x80
        for shape, num in (((64, 96), 2), ((48, 80), 2)):
            imgs = _images(len(shape) + num, shape, num)
            got = segmentor(imgs)
            want = inference_levels(model, imgs)
            for g, w in zip(got, want):
                assert g.pred_sem_seg.shape == shape
                assert_same_samples(g, w)
    finally:
        if old is not None:
            head.decision = old


def test_static_graph_names_the_fix(tiny_models, tmp_path):
    from mmhier.deploy import export_onnx
    path = str(tmp_path / 'static.onnx')
    export_onnx(tiny_models['hier'], path, shape=(64, 96))
    segmentor = ORTSegmentor(path, num_threads=1)
    sample = segmentor(_images(0, (64, 96), 1)[0])
    assert sample.pred_sem_seg.shape == (64, 96)
    with pytest.raises(ValueError, match='--dynamic-shape'):
        segmentor(_images(0, (48, 80), 1))


def test_rejects_a_graph_without_metadata(tmp_path):
    import onnx
    from onnx import TensorProto, helper
    graph = helper.make_graph(
        [helper.make_node('Identity', ['inputs'], ['labels'])], 'g',
        [helper.make_tensor_value_info('inputs', TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info('labels', TensorProto.FLOAT, [1])])
    path = str(tmp_path / 'plain.onnx')
    onnx.save(helper.make_model(graph), path)
    with pytest.raises(KeyError, match='pytorch2onnx'):
        ORTSegmentor(path)
