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
