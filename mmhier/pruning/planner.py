# Copyright (c) mmhier contributors. All rights reserved.
"""Which layers to prune, by which criterion, and one pruning step.

Selection (YOLOR-style as in the article "YOLOR剪枝【附代码】", made
declarative):

* ``layers``: regular expressions searched in the state-dict keys of the
  layers' parameters (``backbone.layer1.0.conv1.weight``); a layer is a
  candidate if one of its keys matches;
* ``layer_types``: layer classes (``'Conv2d'``, ``'Linear'`` ... or classes)
  that may be the *root* of a pruning group;
* ``first_n``: keep only the first N candidates in module order;
* ``ignored_layers``: module-name patterns never pruned at their output
  (default: the decode / auxiliary / classification heads and classifier
  layers, whose output width is the number of classes).

Torch-Pruning's dependency graph prunes a candidate together with every
coupled layer (its BN, the next layer's input, residual partners). A group is
pruned only if all layers whose *outputs* it removes are candidates, so a
residual stream shared by selected and unselected layers stays untouched.
"""
import re
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch_pruning as tp
from mmengine.model import BaseModel

from .history import group_to_ops

# Output layers of mmseg / mmpretrain / mmhier models: their width is a
# number of classes, or they are whole heads.
DEFAULT_IGNORED_LAYERS = (r'^decode_head(\.|$)', r'^auxiliary_head(\.|$)',
                          r'^head(\.|$)', r'(^|\.)conv_seg$',
                          r'(^|\.)(fc|fc_cls|cls_score|classifier)$')

IMPORTANCES = dict(
    magnitude=lambda: tp.importance.MagnitudeImportance(p=2),
    bn_scale=lambda: tp.importance.BNScaleImportance(),
    taylor=lambda: tp.importance.TaylorImportance())


def build_importance(name: str):
    """Torch-Pruning importance criterion from its mmhier name.

    ``magnitude``: group L2 norm of the weights; ``bn_scale``: |gamma| of the
    BN layers (network slimming, Liu et al. 2017); ``taylor``:
    |w * dL/dw| summed over the group (Molchanov et al. 2019), which needs
    the gradients of a real batch in ``.grad``.
    """
    if name not in IMPORTANCES:
        raise ValueError(f'importance={name!r} is not one of '
                         f'{sorted(IMPORTANCES)}')
    return IMPORTANCES[name]()


def resolve_layer_types(layer_types: Sequence[Union[str, type]]) -> tuple:
    """``['Conv2d', nn.Linear]`` -> ``(nn.Conv2d, nn.Linear)``."""
    resolved = []
    for t in layer_types:
        if isinstance(t, str):
            cls = getattr(nn, t, None)
            if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
                raise ValueError(f'layer_types: {t!r} is not a torch.nn '
                                 'layer class name')
            resolved.append(cls)
        elif isinstance(t, type) and issubclass(t, nn.Module):
            resolved.append(t)
        else:
            raise TypeError(f'layer_types: {t!r} is neither a name nor an '
                            'nn.Module class')
    if not resolved:
        raise ValueError('layer_types must not be empty')
    return tuple(resolved)


def _as_patterns(patterns, key: str) -> List[str]:
    if patterns is None:
        return []
    if isinstance(patterns, str):
        patterns = [patterns]
    patterns = list(patterns)
    for p in patterns:
        try:
            re.compile(p)
        except re.error as e:
            raise ValueError(f'{key}: {p!r} is not a valid regular '
                             f'expression ({e})') from e
    return patterns


def _prefixes(names: Sequence[str], depth: int = 2) -> List[str]:
    """Distinct dotted prefixes (up to ``depth`` parts) for error messages."""
    return sorted({'.'.join(n.split('.')[:depth]) for n in names if n})


def select_layers(model: nn.Module,
                  layers=None,
                  layer_types: Sequence = ('Conv2d', 'Linear'),
                  first_n: Optional[int] = None,
                  ignored_layers=None) -> Tuple[Dict[str, nn.Module],
                                                Dict[str, nn.Module]]:
    """Resolve the layer selection to modules.

    Args:
        model (nn.Module): The module to prune (names are relative to it).
        layers (str | list[str], optional): State-dict key patterns
            (``re.search``). None selects every layer of ``layer_types``.
        layer_types (Sequence): Root layer types. Defaults to conv + linear.
        first_n (int, optional): Keep the first N selected layers.
        ignored_layers (str | list[str], optional): Module-name patterns
            never pruned at their output. None uses
            :data:`DEFAULT_IGNORED_LAYERS`; ``[]`` ignores nothing.

    Returns:
        tuple(dict, dict): ``(selected, ignored)`` as ``{name: module}``;
        ``ignored`` holds every other layer of ``layer_types`` (for
        Torch-Pruning's ``ignored_layers``).
    """
    types = resolve_layer_types(layer_types)
    candidates = OrderedDict(
        (n, m) for n, m in model.named_modules()
        if n and isinstance(m, types)
        and any(True for _ in m.parameters(recurse=False)))
    if not candidates:
        raise ValueError(f'{type(model).__name__} has no layer of types '
                         f'{[t.__name__ for t in types]}')
    keys = {
        n: [f'{n}.{p}' for p, _ in m.named_parameters(recurse=False)]
        for n, m in candidates.items()
    }
    selected = OrderedDict(candidates)

    patterns = _as_patterns(layers, 'layers')
    if patterns:
        all_keys = [k for ks in keys.values() for k in ks]
        for p in patterns:
            if not any(re.search(p, k) for k in all_keys):
                raise ValueError(
                    f'layers: pattern {p!r} matches no parameter key of a '
                    f'{"/".join(t.__name__ for t in types)} layer in '
                    f'{type(model).__name__}; available prefixes: '
                    f'{_prefixes(all_keys)}')
        selected = OrderedDict(
            (n, m) for n, m in selected.items()
            if any(re.search(p, k) for p in patterns for k in keys[n]))

    user_ignored = ignored_layers is not None
    ignore_patterns = _as_patterns(
        DEFAULT_IGNORED_LAYERS if ignored_layers is None else ignored_layers,
        'ignored_layers')
    if user_ignored:
        all_names = [n for n, _ in model.named_modules() if n]
        for p in ignore_patterns:
            if not any(re.search(p, n) for n in all_names):
                raise ValueError(
                    f'ignored_layers: pattern {p!r} matches no module of '
                    f'{type(model).__name__}; available prefixes: '
                    f'{_prefixes(all_names)}')
    selected = OrderedDict((n, m) for n, m in selected.items()
                           if not any(re.search(p, n)
                                      for p in ignore_patterns))

    if first_n is not None:
        if not isinstance(first_n, int) or first_n < 1:
            raise ValueError(f'first_n must be a positive int, got '
                             f'{first_n!r}')
        selected = OrderedDict(list(selected.items())[:first_n])
    if not selected:
        raise ValueError(
            'the layer selection (layers={}, layer_types={}, first_n={}, '
            'ignored_layers={}) leaves no layer to prune in {}'.format(
                patterns or None, [t.__name__ for t in types], first_n,
                ignore_patterns, type(model).__name__))
    ignored = OrderedDict(
        (n, m) for n, m in candidates.items() if n not in selected)
    return selected, ignored


def tensor_forward(model: nn.Module, inputs: torch.Tensor):
    """Forward used to trace the dependency graph and count FLOPs.

    mmseg segmentors run *every* head (decode and auxiliary): mode
    ``'tensor'`` skips the auxiliary heads, and a layer the trace does not
    reach would keep its old input width after pruning. Other
    :class:`BaseModel` s use ``mode='tensor'``; plain modules ``model(x)``.
    """
    if hasattr(model, 'extract_feat') and hasattr(model, 'decode_head'):
        feats = model.extract_feat(inputs)
        outs = []
        for name in ('decode_head', 'auxiliary_head'):
            head = getattr(model, name, None)
            heads = head if isinstance(head, nn.ModuleList) else [head]
            outs += [h.forward(feats) for h in heads if h is not None]
        return outs
    if isinstance(model, BaseModel):
        return model(inputs, mode='tensor')
    return model(inputs)


class _ForwardAdapter(nn.Module):
    """``module(x)`` -> :func:`tensor_forward` (for FLOP counting)."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, inputs):
        return tensor_forward(self.module, inputs)


def step_ratio(ratio: float, step: int, num_steps: int) -> float:
    """Ratio to prune at ``step`` (1-based) *of the current channels*.

    Step k of K reaches the cumulative ratio ``r_k = ratio * k / K`` of the
    original channels; the model already lost ``r_{k-1}``, so the step
    removes ``1 - (1 - r_k) / (1 - r_{k-1})`` of what is left. Each step is
    therefore self-contained (a fresh Torch-Pruning pruner on the current
    model), which keeps resuming in the middle of a schedule exact.
    """
    done = ratio * (step - 1) / num_steps
    target = ratio * step / num_steps
    return 1.0 - (1.0 - target) / (1.0 - done)


class PruningPlanner:
    """One Torch-Pruning ``BasePruner`` step on a module, recorded as ops.

    Args:
        layers, layer_types, first_n, ignored_layers: See
            :func:`select_layers`.
        importance (str): ``'magnitude'``, ``'bn_scale'`` or ``'taylor'``.
        global_pruning (bool): Rank channels across all selected layers
            instead of per layer. Defaults to False.
        round_to (int, optional): Keep channel counts multiples of it.
        strict_trace (bool): Raise if a layer with weights is not reached by
            :func:`tensor_forward` (it could not be kept consistent).
            Defaults to True.
        pruner_kwargs (dict, optional): Further ``BasePruner`` arguments
            (e.g. ``max_pruning_ratio``).
    """

    def __init__(self,
                 layers=None,
                 layer_types: Sequence = ('Conv2d', 'Linear'),
                 first_n: Optional[int] = None,
                 ignored_layers=None,
                 importance: str = 'magnitude',
                 global_pruning: bool = False,
                 round_to: Optional[int] = None,
                 strict_trace: bool = True,
                 pruner_kwargs: Optional[dict] = None):
        self.layers = _as_patterns(layers, 'layers') or None
        self.layer_types = resolve_layer_types(layer_types)
        self.first_n = first_n
        self.ignored_layers = ignored_layers
        build_importance(importance)  # validate early
        self.importance = importance
        self.global_pruning = global_pruning
        if round_to is not None and (not isinstance(round_to, int)
                                     or round_to < 1):
            raise ValueError(f'round_to must be a positive int, got '
                             f'{round_to!r}')
        self.round_to = round_to
        self.strict_trace = strict_trace
        self.pruner_kwargs = dict(pruner_kwargs or {})

    def select(self, model: nn.Module):
        return select_layers(model, self.layers, self.layer_types,
                             self.first_n, self.ignored_layers)

    def build_pruner(self, model: nn.Module, example_inputs: torch.Tensor,
                     ratio: float) -> tp.pruner.BasePruner:
        """A Torch-Pruning pruner removing ``ratio`` of the selected
        channels of ``model`` in one step."""
        _, ignored = self.select(model)
        training = model.training
        try:
            pruner = tp.pruner.BasePruner(
                model,
                example_inputs,
                importance=build_importance(self.importance),
                global_pruning=self.global_pruning,
                pruning_ratio=ratio,
                iterative_steps=1,
                ignored_layers=list(ignored.values()),
                round_to=self.round_to,
                root_module_types=list(self.layer_types),
                forward_fn=tensor_forward,
                **self.pruner_kwargs)
        finally:
            model.train(training)  # the tracer leaves the model in eval()
        if self.strict_trace:
            traced = pruner.DG.module2node
            prunable = tuple(
                tp.ops.type2class(t) for t in pruner.DG.REGISTERED_PRUNERS
                if t != tp.ops.OPTYPE.PARAMETER)
            prunable = tuple(t for t in prunable if isinstance(t, type))
            untraced = [
                n for n, m in model.named_modules()
                if isinstance(m, prunable) and m not in traced
                and any(True for _ in m.parameters(recurse=False))
            ]
            if untraced:
                raise RuntimeError(
                    f'{len(untraced)} layers of {type(model).__name__} are '
                    'not reached by the tracing forward (mmhier.pruning.'
                    'planner.tensor_forward), so pruning their inputs could '
                    f'break them: {untraced[:10]}. Prune a sub-module that '
                    'excludes them (`module=`) or pass strict_trace=False if '
                    'they are unused.')
        return pruner

    def step(self, model: nn.Module, example_inputs: torch.Tensor,
             ratio: float) -> List[list]:
        """Prune ``ratio`` of the current selected channels of ``model``.

        Args:
            model (nn.Module): Pruned in place.
            example_inputs (Tensor): Input for tracing (preprocessed batch).
            ratio (float): Fraction of the current channels to remove.

        Returns:
            list[list]: The plain ops applied (see
            :mod:`mmhier.pruning.history`).
        """
        pruner = self.build_pruner(model, example_inputs, ratio)
        names = {m: n for n, m in model.named_modules()}
        # Torch-Pruning replaces a pruned parameter by a new one, which
        # requires grad: a frozen parameter (e.g. a re-ID BNNeck's bias)
        # would come back trainable, unlike the same ops replayed from the
        # history (which keep the flag), and DDP ranks would disagree.
        requires_grad = {
            n: p.requires_grad
            for n, p in model.named_parameters()
        }
        ops = []
        for group in pruner.step(interactive=True):
            group_ops = group_to_ops(group, names)
            group.prune()
            ops.extend(group_ops)
        for n, p in model.named_parameters():
            p.requires_grad_(requires_grad.get(n, True))
        return ops


def example_inputs_from_batch(model: nn.Module, data_batch,
                              input_shape: Optional[Sequence[int]] = None,
                              device=None) -> torch.Tensor:
    """One-sample input tensor for tracing / FLOP counting.

    Args:
        model (nn.Module): Supplies ``data_preprocessor`` (normalisation,
            padding) when ``data_batch`` is used.
        data_batch: A batch from a dataloader (``dict(inputs=...,
            data_samples=...)``), or None.
        input_shape (Sequence[int], optional): ``(C, H, W)`` or
            ``(N, C, H, W)``; overrides ``data_batch`` (random input).
        device: Device of the random input. Defaults to the model's.

    Returns:
        Tensor: ``[1, C, H, W]`` (or ``[N, ...]`` with a 4-d shape).
    """
    if device is None:
        param = next(model.parameters(), None)
        device = param.device if param is not None else 'cpu'
    if input_shape is not None:
        shape = tuple(int(s) for s in input_shape)
        if len(shape) == 3:
            shape = (1, ) + shape
        if len(shape) != 4 or min(shape) < 1:
            raise ValueError(f'input_shape must be (C, H, W) or (N, C, H, '
                             f'W) of positive ints, got {input_shape!r}')
        return torch.randn(shape, device=device)
    if data_batch is None:
        raise ValueError('no data batch to build example inputs from: '
                         'give input_shape=(C, H, W)')
    preprocessor = getattr(model, 'data_preprocessor', None)
    with torch.no_grad():
        # training mode for train batches: they are padded to one size (the
        # test branch of e.g. SegDataPreProcessor requires equal sizes)
        training = isinstance(data_batch, dict) and \
            data_batch.get('data_samples') is not None
        data = preprocessor(data_batch, training) if callable(
            preprocessor) else data_batch
    inputs = data['inputs'] if isinstance(data, dict) else data
    if isinstance(inputs, (list, tuple)) and inputs and \
            isinstance(inputs[0], torch.Tensor):
        inputs = inputs[0][None] if inputs[0].dim() == 3 else inputs[0]
    if not isinstance(inputs, torch.Tensor) or inputs.dim() != 4:
        raise ValueError(
            'cannot build a [N, C, H, W] example input from the data batch '
            f'(got {type(inputs).__name__}); give input_shape=(C, H, W)')
    return inputs[:1].float().to(device)


def forward_for_flops(model: nn.Module) -> Callable:
    """Wrap ``model`` so that ``wrapped(x)`` runs :func:`tensor_forward`."""
    return _ForwardAdapter(model)
