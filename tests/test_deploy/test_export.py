# Copyright (c) mmhier contributors. All rights reserved.
"""export_onnx: checked graphs whose onnxruntime outputs match the eager
model (hierarchical greedy and soft, flat, pruned) at two input sizes."""
import copy

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from mmhier.deploy import (INPUT_NAME, SegmentorExportWrapper, export_onnx,
                           read_metadata)

GRAPH_MODEL = dict(hier='hier', hier_soft='hier', flat='flat',
                   pruned='pruned')


def _session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(
        path, sess_options=options, providers=['CPUExecutionProvider'])


def assert_parity(ort_out: dict, ref: dict):
    """Labels identical on >= 99.9% of pixels, head outputs within 1e-4,
    per-level decisions identical."""
    labels = ort_out['labels']
    assert labels.dtype == np.int64 and labels.shape == ref['labels'].shape
    assert (labels == ref['labels']).mean() >= 0.999
    diff = np.abs(ort_out['logprobs'] - ref['logprobs']).max()
    assert diff < 1e-4, diff
    if 'levels' in ref:
        np.testing.assert_array_equal(ort_out['levels'], ref['levels'])


@pytest.mark.parametrize('key', list(GRAPH_MODEL))
def test_graph_matches_eager_at_two_sizes(key, tiny_models, tiny_graphs):
    path, decision = tiny_graphs[key]
    model = tiny_models[GRAPH_MODEL[key]]
    wrapper = SegmentorExportWrapper(model, decision).eval()
    session = _session(path)
    names = [o.name for o in session.get_outputs()]
    assert names == ['labels', 'levels', 'logprobs']
    gen = torch.Generator().manual_seed(3)
    for shape in [(2, 3, 64, 96), (1, 3, 40, 72)]:
        x = torch.randn(*shape, generator=gen)
        with torch.no_grad():
            ref = dict(zip(wrapper.outputs, (t.numpy() for t in wrapper(x))))
        out = dict(zip(names, session.run(names, {INPUT_NAME: x.numpy()})))
        assert out['levels'].shape == (shape[0], wrapper.num_levels,
                                       *shape[2:])
        assert_parity(out, ref)


def test_graph_passes_checker_and_carries_metadata(tiny_models,
                                                   tiny_graphs):
    path, _ = tiny_graphs['hier']
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    # standard ONNX operators only: any runtime can run it
    assert {n.domain for n in proto.graph.node} <= {'', 'ai.onnx'}
    meta = read_metadata(path)
    assert meta['decision'] == 'greedy' and meta['hierarchical']
    assert meta['num_levels'] == 3 and meta['input_shape'] is None
    assert len(meta['dataset_meta']['classes']) == 56
    assert 'HierarchicalDecodeHead' in meta['config']
    flat = read_metadata(tiny_graphs['flat'][0])
    assert not flat['hierarchical'] and flat['decision'] == 'soft'
    assert len(flat['dataset_meta']['classes']) == 60


def _num_weights(path):
    return sum(
        int(np.prod(t.dims)) for t in onnx.load(path).graph.initializer)


def test_pruned_graph_has_pruned_widths(tiny_graphs):
    hier, pruned = (_num_weights(tiny_graphs[k][0])
                    for k in ('hier', 'pruned'))
    # 50% of the backbone channels: about a quarter of its weights remain
    assert pruned < 0.6 * hier


def test_static_graph_with_some_outputs(tiny_models, tmp_path):
    model = copy.deepcopy(tiny_models['hier'])
    path = str(tmp_path / 'static.onnx')
    meta = export_onnx(model, path, shape=(48, 64), outputs=('labels', ))
    assert meta['input_shape'] == [48, 64] and meta['outputs'] == ['labels']
    session = _session(path)
    assert [o.name for o in session.get_outputs()] == ['labels']
    x = torch.randn(3, 3, 48, 64, generator=torch.Generator().manual_seed(4))
    labels, = session.run(None, {INPUT_NAME: x.numpy()})  # batch 3
    with torch.no_grad():
        ref = SegmentorExportWrapper(model, outputs=('labels', ))(x)
    assert (labels == ref.numpy()).mean() >= 0.999
    with pytest.raises(Exception):  # the height and width are fixed
        session.run(None, {INPUT_NAME: np.zeros((1, 3, 40, 64), np.float32)})
