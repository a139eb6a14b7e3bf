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

A file that cannot be loaded (truncated by a kill during the write, not a
checkpoint at all, or a pickle that ``weights_only=True`` refuses) gets a
:class:`CheckpointError` naming the file and the reason from
:func:`load_checkpoint_file`, on every path: MMEngine's local checkpoint
loader (``CheckpointLoader``'s ``''`` scheme, used by ``--resume``,
``load_from``, ``tools/test.py``, ``mmseg.apis.init_model`` and the
inferencers) is pointed at it.
"""
import os
import pickle
import zipfile
from typing import Any, Dict

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

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
    """Patch ``HistoryBuffer`` pickling, allow-list plain data classes and
    route MMEngine's local checkpoint loading through
    :func:`load_checkpoint_file`.

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
    # local paths (MMEngine's '' scheme: resume, load_from, inferencers)
    CheckpointLoader.register_scheme(
        prefixes='', loader=_load_from_local_weights_only, force=True)
    _REGISTERED = True


#: how ``torch.save`` files begin: a zip archive (torch >= 1.6) or the
#: legacy format, whose first pickle is torch's magic number
_ZIP_MAGIC = b'PK\x03\x04'
_LEGACY_MAGIC = b'\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19'


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be used; the message names the file and
    says what is wrong with it."""


def _refusal(err: Exception) -> str:
    """The line of a weights-only refusal that names the object refused."""
    text = str(err)
    for line in text.splitlines():
        if 'Unsupported global' in line or 'Unsupported operand' in line:
            return line.strip()
    return text.splitlines()[0].strip() if text else type(err).__name__


def _check_header(filename: str) -> None:
    """Raise :class:`CheckpointError` for files that cannot be a complete
    ``torch.save`` output, before ``torch.load`` sees them."""
    size = os.path.getsize(filename)
    if size == 0:
        raise CheckpointError(
            f'{filename} is empty (0 bytes): not a checkpoint. It was '
            'probably cut off while being written; use an earlier one.')
    with open(filename, 'rb') as f:
        head = f.read(len(_LEGACY_MAGIC))
    if head.startswith(_ZIP_MAGIC):
        if not zipfile.is_zipfile(filename):
            raise CheckpointError(
                f'{filename} is truncated or damaged: it starts like a '
                f'torch.save zip archive but its {size} bytes hold no '
                'complete archive (no central directory at the end). It was '
                'probably cut off while being written or copied; use an '
                'earlier checkpoint or copy it again.')
        return
    if head == _LEGACY_MAGIC:
        return
    if head[:1] == b'\x80':
        raise CheckpointError(
            f'{filename} is a Python pickle but not a torch checkpoint '
            '(e.g. a results file written by tools/test.py --out); give '
            'the .pth file written by training.')
    raise CheckpointError(
        f'{filename} is not a PyTorch checkpoint: it is neither a '
        'torch.save zip archive nor the legacy torch format (its first '
        f'bytes are {head[:8]!r}).')


def load_checkpoint_file(filename: str, map_location: Any = 'cpu') -> dict:
    """``torch.load(filename, weights_only=True)``, with an error that names
    the file and says what is wrong.

    The one function every mmhier checkpoint load goes through
    (``--resume``, ``load_from`` / ``tools/test.py``, inferencers and
    ``init_model`` via MMEngine's ``CheckpointLoader``, which
    :func:`register_safe_checkpoint_globals` points here for local files;
    ``mmhier.apis.init_model`` and MMT's ``peer_init``
    directly). It never falls back to an unsafe load.

    Args:
        filename (str): Path of the checkpoint (``~`` is expanded).
        map_location: Passed to :func:`torch.load`. Defaults to ``'cpu'``.

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: if there is no such file.
        CheckpointError: if the file is empty, truncated or damaged, is not
            a torch checkpoint, holds objects that ``weights_only=True``
            refuses, or does not hold a dict.
    """
    register_safe_checkpoint_globals()
    filename = os.path.expanduser(str(filename))
    if not os.path.isfile(filename):
        raise FileNotFoundError(f'checkpoint not found: {filename}')
    _check_header(filename)
    try:
        checkpoint = torch.load(
            filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        if 'Weights only load failed' not in str(e):
            raise CheckpointError(
                f'{filename} is damaged: its pickle cannot be read ({e})'
            ) from e
        raise CheckpointError(
            f'{filename} holds objects that torch.load(weights_only=True) '
            f'refuses ({_refusal(e)}), so it was not loaded: mmhier never '
            'unpickles code. If you trust its source, load it once in a '
            'separate session and re-save its state_dict (tensors and plain '
            'data) with torch.save.') from e
    except (EOFError, RuntimeError, ValueError, KeyError) as e:
        raise CheckpointError(
            f'{filename} is truncated or damaged: torch.load failed with '
            f'{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""}'
            '. Use an earlier checkpoint or copy it again.') from e
    if not isinstance(checkpoint, dict):
        raise CheckpointError(
            f'{filename} holds a {type(checkpoint).__name__}, not a '
            'checkpoint (a dict of weights, or a dict with a state_dict)')
    return checkpoint


def load_checkpoint_safe(filename: str, map_location: Any = 'cpu') -> dict:
    """Alias of :func:`load_checkpoint_file` (kept for its callers)."""
    return load_checkpoint_file(filename, map_location)


def _load_from_local_weights_only(filename: str, map_location=None) -> dict:
    """MMEngine ``CheckpointLoader`` scheme for local paths: MMEngine's
    ``load_from_local`` with :func:`load_checkpoint_file`'s errors."""
    return load_checkpoint_file(filename, map_location)
