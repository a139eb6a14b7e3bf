# Copyright (c) mmhier contributors. All rights reserved.
import io
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import mmhier  # noqa: F401  (registers the safe globals)
from mmhier.utils import load_checkpoint_safe


def _roundtrip(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def test_history_buffer_state_is_plain_data():
    buf = HistoryBuffer(max_length=5)
    for v in (1.0, 2.0, 4.0):
        buf.update(v)
    state = buf.__getstate__()
    assert state == dict(
        max_length=5, _log_history=[1.0, 2.0, 4.0],
        _count_history=[1, 1, 1])
    # pickling must not mutate the instance (upstream adds the method table)
    assert 'statistics_methods' not in buf.__dict__
    # no function or method anywhere in the pickle stream
    assert b'getattr' not in pickle.dumps(buf)


def test_message_hub_roundtrip_weights_only():
    hub = MessageHub.get_instance('test_safe_ckpt')
    hub.update_scalar('train/loss', 1.5)
    hub.update_scalar('train/loss', 0.5)
    hub.update_scalar('train/lr', 0.01)
    hub.update_info('iter', 7)
    ckpt = dict(
        meta=dict(epoch=0, iter=7, seed=np.int64(3)),
        message_hub=hub.state_dict(),
        state_dict=dict(w=torch.ones(2)),
        arr=np.arange(4, dtype=np.float32))
    loaded = _roundtrip(ckpt)
    loss = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(loss, HistoryBuffer)
    np.testing.assert_allclose(loss.data[0], [1.5, 0.5])
    assert loss.mean() == pytest.approx(1.0)  # statistics table rebuilt
    assert loss.current() == pytest.approx(0.5)
    assert loaded['message_hub']['runtime_info']['iter'] == 7
    assert loaded['meta']['seed'] == 3
    np.testing.assert_array_equal(loaded['arr'], np.arange(4))

    new_hub = MessageHub.get_instance('test_safe_ckpt_resumed')
    new_hub.load_state_dict(loaded['message_hub'])
    assert new_hub.get_scalar('train/lr').current() == pytest.approx(0.01)


class _Evil:
    """Unpickling it calls ``getattr``: what a malicious checkpoint does."""

    def __reduce__(self):
        return (getattr, ('abc', 'upper'))


class _Unknown:
    """A class nobody allow-listed."""


def test_getattr_is_not_allow_listed():
    """A pickle that calls a global function must still be rejected."""
    buf = io.BytesIO()
    torch.save({'x': _Evil()}, buf)
    buf.seek(0)
    with pytest.raises(Exception, match='getattr|Unsupported global'):
        torch.load(buf, weights_only=True)


def test_load_checkpoint_safe_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        load_checkpoint_safe(str(tmp_path / 'missing.pth'))

    path = tmp_path / 'unsafe.pth'
    torch.save({'obj': _Unknown()}, path)
    with pytest.raises(RuntimeError, match='unsafe.pth'):
        load_checkpoint_safe(str(path))

    good = tmp_path / 'good.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}}, good)
    assert load_checkpoint_safe(str(good))['state_dict']['w'].shape == (1, )


def _damaged_files(tmp_path):
    """{kind: (path, words the error must contain)} for the ways a
    checkpoint file can be unusable."""
    good = tmp_path / 'good.pth'
    torch.save({'state_dict': {'w': torch.arange(64.)}, 'meta': {}}, good)
    data = good.read_bytes()
    files = {}
    truncated = tmp_path / 'truncated.pth'  # killed while writing
    truncated.write_bytes(data[:len(data) // 2])
    files['truncated'] = (truncated, 'truncated')
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    files['empty'] = (empty, 'empty')
    text = tmp_path / 'notes.pth'
    text.write_text('not a checkpoint\n')
    files['not a checkpoint'] = (text, 'not a PyTorch checkpoint')
    results = tmp_path / 'results.pkl'  # tools/test.py --out writes these
    with open(results, 'wb') as f:
        pickle.dump([{'pred': 1}], f)
    files['plain pickle'] = (results, 'not a torch checkpoint')
    refused = tmp_path / 'pickled_object.pth'
    torch.save({'state_dict': {}, 'obj': _Unknown()}, refused)
    files['refused'] = (refused, 'weights_only=True) refuses')
    tensor = tmp_path / 'tensor.pth'
    torch.save(torch.zeros(3), tensor)
    files['not a dict'] = (tensor, 'not a checkpoint')
    return files


def test_damaged_checkpoints_name_file_and_reason(tmp_path):
    """Each kind of unusable file gets an error naming the file and what is
    wrong, both through mmhier's loader and through MMEngine's
    ``_load_checkpoint`` (the path of --resume, load_from, tools/test.py and
    the inferencers); none is loaded unsafely."""
    from mmengine.runner.checkpoint import _load_checkpoint

    from mmhier.utils import CheckpointError, load_checkpoint_file
    for kind, (path, reason) in _damaged_files(tmp_path).items():
        for load in (load_checkpoint_file, _load_checkpoint):
            with pytest.raises(CheckpointError) as err:
                load(str(path))
            message = str(err.value)
            assert str(path) in message, (kind, load, message)
            assert reason in message, (kind, load, message)
    # a good file still loads through both
    good = str(tmp_path / 'good.pth')
    assert load_checkpoint_file(good)['state_dict']['w'][5] == 5
    assert _load_checkpoint(good)['state_dict']['w'][5] == 5
