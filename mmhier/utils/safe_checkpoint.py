# Copyright (c) mmhier contributors. All rights reserved.
"""Checkpoints that load with ``torch.load(weights_only=True)``.

Since torch 2.6 ``torch.load`` defaults to ``weights_only=True`` and MMEngine
0.10.7 (which calls ``torch.load`` without the argument) can no longer
``--resume`` its own checkpoints. The checkpoint's ``message_hub`` holds
:class:`mmengine.logging.HistoryBuffer` objects whose ``__getstate__`` pickles
the class-level table of statistics *functions* (``min``, ``max``, ...), which
the weights-only unpickler rejects as a ``getattr`` global, plus numpy arrays.

Allow-listing ``getattr`` would let any checkpoint execute code, and a blanket
``weights_only=False`` loses the protection altogether. Instead we make the
saved runtime state plain data:

* ``HistoryBuffer`` pickles as ``{'max_length': int, '_log_history': list,
  '_count_history': list}``; its statistics table is a class attribute that
  the class rebuilds itself, so nothing is lost by dropping it on save;
* the remaining classes that MMEngine puts into a checkpoint and that carry
  only data (``HistoryBuffer``, ``ConfigDict``/``Config`` free meta, numpy
  arrays/scalars written by older runs) are added with
  :func:`torch.serialization.add_safe_globals`.

:func:`register_safe_checkpoint_globals` is called once when :mod:`mmhier` is
imported (``custom_imports`` in every config), so ``tools/train.py --resume``,
``tools/test.py`` and ``load_from`` all go through the safe path.
"""
from typing import Any, Dict

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

_REGISTERED = False


def _history_buffer_getstate(self: HistoryBuffer) -> Dict[str, Any]:
    """Plain-data state of a ``HistoryBuffer`` (no function table).

    Unlike upstream ``HistoryBuffer.__getstate__`` this neither mutates the
    instance nor pickles the statistics methods.
    """
    return dict(
        max_length=int(self.max_length),
        _log_history=np.asarray(self._log_history).tolist(),
        _count_history=np.asarray(self._count_history).tolist())


def _history_buffer_setstate(self: HistoryBuffer, state: Dict[str,
                                                              Any]) -> None:
    """Rebuild a ``HistoryBuffer`` from :func:`_history_buffer_getstate`.

    Also accepts states written by unpatched MMEngine (which carry a
    ``statistics_methods`` entry and numpy arrays) when they are loaded with
    ``weights_only=False`` by a user who trusts them.
    """
    state = dict(state)
    statistics_methods = state.pop('statistics_methods', {})
    self._set_default_statistics()
    self._statistics_methods.update(statistics_methods)
    self.max_length = state.pop('max_length', 1000000)
    self._log_history = np.asarray(state.pop('_log_history', []))
    self._count_history = np.asarray(state.pop('_count_history', []))
    self.__dict__.update(state)


def _numpy_safe_globals() -> list:
    """numpy reconstruction helpers that only rebuild arrays/scalars."""
    try:  # numpy >= 2 pickles arrays through numpy._core
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    dtypes = [type(np.dtype(t)) for t in (
        np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32,
        np.uint32, np.int64, np.uint64, np.float16, np.float32, np.float64)]
    return [_reconstruct, scalar, np.ndarray, np.dtype] + dtypes


def register_safe_checkpoint_globals() -> None:
    """Patch ``HistoryBuffer`` pickling and allow-list plain data classes.

    Idempotent. Never allow-lists ``getattr`` or any callable that can run
    arbitrary code.
    """
    global _REGISTERED
    if _REGISTERED:
        return
    HistoryBuffer.__getstate__ = _history_buffer_getstate
    HistoryBuffer.__setstate__ = _history_buffer_setstate
    torch.serialization.add_safe_globals([HistoryBuffer] +
                                         _numpy_safe_globals())
    _REGISTERED = True


def load_checkpoint_safe(filename: str, map_location: Any = 'cpu') -> dict:
    """``torch.load(filename, weights_only=True)`` with a clear error.

    Args:
        filename (str): Path of the checkpoint.
        map_location: Passed to :func:`torch.load`. Defaults to ``'cpu'``.

    Returns:
        dict: The checkpoint.
    """
    register_safe_checkpoint_globals()
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=True)
    except FileNotFoundError as e:
        raise FileNotFoundError(f'checkpoint not found: {filename}') from e
    except Exception as e:  # pickle.UnpicklingError and friends
        raise RuntimeError(
            f'{filename} cannot be loaded with weights_only=True: {e}. '
            'It contains objects that are not plain data; re-save it with '
            'mmhier, or load it with weights_only=False only if you trust '
            'its source.') from e
