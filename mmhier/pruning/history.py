# Copyright (c) mmhier contributors. All rights reserved.
"""Pruning history as plain data, and its replay on a freshly built model.

A pruned model cannot be rebuilt from a state dict alone: the config builds
the *unpruned* shapes. The YOLOR pruning script of the article
"YOLOR剪枝【附代码】" therefore pickles the whole
model, which ties checkpoints to the source tree and executes code on load.
Instead every checkpoint carries the list of channel removals that turned the
config's model into the pruned one, as lists / ints / strs / floats that
``torch.load(weights_only=True)`` accepts, and loading replays it *before*
the weights are loaded.

Why not Torch-Pruning's own ``pruning_history()`` /
``load_pruning_history()``: those record only the *root* layer of every group
and re-derive the coupled layers (BN, next conv's input, residual partners)
through a dependency graph, i.e. they need a traced forward pass with example
inputs on the fresh model. At load time (``after_load_checkpoint``,
``mmhier.apis.init_model``) there is no batch and tracing a segmentor at full
resolution is slow. We therefore store the *expanded* group: one op per
affected layer, replayed with Torch-Pruning's own layer pruning functions
(``tp.pruner.function.PrunerBox``) without tracing. The same ops are what rank
0 broadcasts under DDP and what is replicated to MMT's peers / mean nets.

Format of ``checkpoint['meta']['pruning_history']``::

    {'version': 1,
     'records': [                       # one record per pruning step
        {'source': 'PruningHook',       # who pruned
         'module': 'model1',            # module the importance came from
         'targets': ['model1', 'mean1'],  # modules the ops were applied to
         'ratio': 0.5,                  # cumulative channel ratio after it
         'step': 1, 'num_steps': 1,
         'ops': [[layer_name, layer_class, op_type, 'out'|'in',
                  channels_before, [idx, ...]], ...]},
        ...]}

Layer names in ``ops`` are relative to each target (``''`` = the whole
model).
"""
import copy
from typing import Any, Dict, List, Optional, Sequence

import torch
import torch.nn as nn
from torch_pruning import ops as tp_ops
from torch_pruning.pruner.function import PrunerBox

HISTORY_VERSION = 1
HISTORY_META_KEY = 'pruning_history'
RECORD_KEYS = ('source', 'module', 'targets', 'ratio', 'step', 'num_steps',
               'ops')


def get_submodule(model: nn.Module, name: str) -> nn.Module:
    """``model.get_submodule(name)`` with an error that lists what exists.

    Args:
        model (nn.Module): The root model.
        name (str): Dotted module path; ``''`` is the model itself.

    Returns:
        nn.Module: The sub-module.
    """
    if name == '':
        return model
    try:
        return model.get_submodule(name)
    except AttributeError as e:
        children = [n for n, _ in model.named_children()]
        raise KeyError(f'{type(model).__name__} has no sub-module '
                       f'{name!r}; its top-level modules are {children}'
                       ) from e


def _pruner_of(module: nn.Module):
    """Torch-Pruning's layer pruning function object for ``module``."""
    return PrunerBox.get(tp_ops.module2type(module))


def _channels(module: nn.Module, direction: str) -> int:
    pruner = _pruner_of(module)
    if direction == 'out':
        return pruner.get_out_channels(module)
    return pruner.get_in_channels(module)


def group_to_ops(group, module_names: Dict[nn.Module, str]) -> List[list]:
    """Expand a Torch-Pruning group into plain per-layer ops.

    Must be called *before* the group is applied (it records the channel
    counts before pruning, used to validate a replay).

    Args:
        group (torch_pruning.dependency.Group): A group from a pruner.
        module_names (dict): ``{module: name}`` of the pruned model.

    Returns:
        list[list]: ``[name, class, op_type, 'out'|'in', channels, idxs]``
        for every real layer of the group (Torch-Pruning's graph-only
        placeholders for ``cat``/``split``/element-wise ops carry no weights
        and are skipped).
    """
    result = []
    for dep, idxs in group:
        target = dep.target.module
        if isinstance(target, nn.Parameter):
            raise ValueError(
                'the pruning group touches an unwrapped nn.Parameter '
                f'({dep.target.name}); mmhier records only layer ops. Add '
                'the module owning it to `ignored_layers`.')
        if target not in module_names:
            continue  # graph-only op (torch.cat, add, reshape, ...)
        if not idxs:
            continue
        pruner = _pruner_of(target)
        if pruner is None or dep.handler.__self__ is not pruner:
            raise ValueError(
                f'layer {module_names[target]!r} ({type(target).__name__}) '
                'is pruned by a customized Torch-Pruning pruner, which '
                'cannot be replayed from plain data')
        direction = 'out' if dep.handler == pruner.prune_out_channels \
            else 'in'
        if pruner.prune_out_channels == pruner.prune_in_channels:
            direction = 'out'  # BN / depthwise conv: one channel axis
        result.append([
            module_names[target],
            type(target).__name__,
            tp_ops.module2type(target).name,
            direction,
            int(_channels(target, direction)),
            sorted(int(i) for i in idxs),
        ])
    return result


def apply_ops(model: nn.Module,
              ops: Sequence[Sequence],
              where: str = 'model') -> None:
    """Apply plain ops from :func:`group_to_ops` to ``model`` in place.

    Every op is validated before anything of it is applied: the layer must
    exist, be of the same kind (conv / BN / linear ...) and have the channel
    count the history expects. ``requires_grad`` of the pruned parameters is
    kept (Torch-Pruning's functions create new parameters that require
    grad, which would silently un-freeze frozen stages and mean nets).

    Args:
        model (nn.Module): The module the layer names are relative to.
        ops (Sequence): Ops of one record.
        where (str): Used in error messages (record / target).
    """
    modules = dict(model.named_modules())
    for i, op in enumerate(ops):
        if not (isinstance(op, (list, tuple)) and len(op) == 6):
            raise ValueError(f'{where}: op {i} is malformed: {op!r}')
        name, cls_name, op_type, direction, channels, idxs = op
        if name not in modules:
            prefixes = sorted({n.split('.')[0] for n in modules if n})
            raise KeyError(
                f'{where}: the pruning history names layer {name!r} '
                f'({cls_name}), which does not exist in the model built '
                f'from the config ({type(model).__name__}; top-level '
                f'modules {prefixes}). The checkpoint was pruned from a '
                'different model.')
        module = modules[name]
        pruner = _pruner_of(module)
        actual_type = tp_ops.module2type(module).name if pruner else None
        if actual_type != op_type:
            raise TypeError(
                f'{where}: layer {name!r} is a {type(module).__name__} '
                f'({actual_type}) in the model built from the config, but '
                f'a {cls_name} ({op_type}) in the pruning history')
        actual = _channels(module, direction)
        if actual != channels:
            weight = getattr(module, 'weight', None)
            shape = tuple(weight.shape) if weight is not None else None
            raise ValueError(
                f'{where}: layer {name!r} ({type(module).__name__}, weight '
                f'shape {shape}) has {actual} {direction}put channels in the '
                'model built from the config, but the pruning history '
                f'expects {channels} before this step. The config and the '
                'checkpoint do not match.')
        if any((not isinstance(j, int)) or j < 0 or j >= channels
               for j in idxs) or len(set(idxs)) != len(idxs) or \
                len(idxs) >= channels:
            raise ValueError(
                f'{where}: layer {name!r}: pruning indices must be distinct '
                f'ints in [0, {channels}) leaving at least one channel')
        requires_grad = {
            n: p.requires_grad
            for n, p in module.named_parameters(recurse=False)
        }
        if direction == 'out':
            pruner.prune_out_channels(module, list(idxs))
        else:
            pruner.prune_in_channels(module, list(idxs))
        for n, p in module.named_parameters(recurse=False):
            p.requires_grad_(requires_grad.get(n, True))


def _check_plain(obj: Any, where: str) -> None:
    """Raise if ``obj`` is not built of dict/list/str/int/float/bool/None."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return
    if isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _check_plain(v, f'{where}[{i}]')
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(f'{where}: key {k!r} is not a str')
            _check_plain(v, f'{where}.{k}')
        return
    raise TypeError(f'{where} holds a {type(obj).__name__}; the pruning '
                    'history must be plain data')


class PruningHistory:
    """Ordered pruning records of one model (see module docstring).

    Args:
        records (list[dict], optional): Records to start with.
    """

    def __init__(self, records: Optional[List[dict]] = None):
        self.records: List[dict] = []
        for record in records or []:
            self.append(record)

    def __len__(self) -> int:
        return len(self.records)

    def append(self, record: dict) -> None:
        """Validate and append one record (a deep copy is stored)."""
        where = f'pruning history record {len(self.records)}'
        if not isinstance(record, dict):
            raise TypeError(f'{where} must be a dict, got {type(record)}')
        missing = [k for k in RECORD_KEYS if k not in record]
        if missing:
            raise KeyError(f'{where} misses the keys {missing}')
        _check_plain(record, where)
        if not record['targets'] or not all(
                isinstance(t, str) for t in record['targets']):
            raise ValueError(f'{where}: `targets` must be a non-empty list '
                             'of module names')
        self.records.append(copy.deepcopy(dict(record)))

    def num_steps(self, source: Optional[str] = None) -> int:
        """Number of records, optionally only those of ``source``."""
        return sum(1 for r in self.records
                   if source is None or r['source'] == source)

    def to_meta(self) -> dict:
        """Plain-data form stored under ``meta['pruning_history']``."""
        return dict(
            version=HISTORY_VERSION, records=copy.deepcopy(self.records))

    @classmethod
    def from_meta(cls, meta: dict) -> 'PruningHistory':
        """Rebuild from :meth:`to_meta`'s output, validating it."""
        if not isinstance(meta, dict) or 'records' not in meta:
            raise ValueError(
                "meta['pruning_history'] must be a dict with 'version' and "
                f"'records', got {type(meta).__name__}")
        if meta.get('version') != HISTORY_VERSION:
            raise ValueError(
                "meta['pruning_history'] has version "
                f"{meta.get('version')!r}; this mmhier reads version "
                f'{HISTORY_VERSION}')
        return cls(meta['records'])

    def _apply(self, model: nn.Module, start: int) -> None:
        for i, record in enumerate(self.records[start:], start):
            for target in record['targets']:
                apply_ops(
                    get_submodule(model, target), record['ops'],
                    f'pruning history record {i} on {target or "model"!r}')

    def replay(self, model: nn.Module, start: int = 0) -> None:
        """Re-apply records ``start:`` to ``model`` in place, all or
        nothing.

        The records are first replayed on a copy of ``model`` whose
        parameters and buffers live on the ``meta`` device (no memory, no
        arithmetic): every op of every record and target is validated
        against the channel counts the ops before it leave. Only if all of
        them pass is ``model`` touched, so a history that does not fit
        raises and leaves ``model`` exactly as it was.

        Args:
            model (nn.Module): The freshly built (unwrapped) root model; the
                records' ``targets`` are sub-module names of it.
            start (int): First record to apply (the records before it are
                already applied to ``model``).
        """
        if not self.records[start:]:
            return
        self._apply(_meta_copy(model), start)
        self._apply(model, start)


def _meta_copy(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` whose parameters and buffers are empty
    ``meta`` tensors of the same shapes (and ``requires_grad``)."""
    memo = {}
    for param in model.parameters():
        memo[id(param)] = nn.Parameter(
            torch.empty_like(param, device='meta'),
            requires_grad=param.requires_grad)
    for buf in model.buffers():
        memo[id(buf)] = torch.empty_like(buf, device='meta')
    return copy.deepcopy(model, memo)


def history_from_checkpoint(checkpoint: dict) -> Optional[PruningHistory]:
    """The :class:`PruningHistory` in a checkpoint, or None if unpruned."""
    meta = checkpoint.get('meta') or {}
    if HISTORY_META_KEY not in meta:
        return None
    return PruningHistory.from_meta(meta[HISTORY_META_KEY])
