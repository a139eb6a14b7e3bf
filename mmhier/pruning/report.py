# Copyright (c) mmhier contributors. All rights reserved.
"""Parameters and FLOPs before / after pruning.

Counting is Torch-Pruning's ``count_ops_and_params`` (it works on a deep copy,
in eval mode, and also returns per-layer numbers); the forward it counts is
:func:`mmhier.pruning.planner.tensor_forward` (all heads of a segmentor).
"""
from typing import Dict, List, Optional

import torch
import torch.nn as nn
import torch_pruning as tp

from .planner import forward_for_flops


def count_params_flops(model: nn.Module,
                       example_inputs: torch.Tensor,
                       layer_wise: bool = False) -> dict:
    """Parameters and FLOPs (multiply-accumulates, as Torch-Pruning counts
    them) of one forward pass of ``model`` on ``example_inputs``.

    Args:
        model (nn.Module): The model (not modified).
        example_inputs (Tensor): Its input.
        layer_wise (bool): Also return per-layer numbers.

    Returns:
        dict: ``params``, ``flops`` (ints) and with ``layer_wise`` a
        ``layers`` dict ``{name: (params, flops)}`` of the layers that have
        parameters of their own.
    """
    wrapped = forward_for_flops(model)
    with torch.no_grad():
        flops, params, layer_flops, layer_params = \
            tp.utils.count_ops_and_params(
                wrapped, example_inputs, layer_wise=True)
    out = dict(params=int(params), flops=int(flops))
    if layer_wise:
        layers = {}
        for name, module in model.named_modules():
            if not any(True for _ in module.parameters(recurse=False)):
                continue
            layers[name] = (sum(p.numel()
                                for p in module.parameters(recurse=False)),
                            int(layer_flops.get(module) or 0))
        out['layers'] = layers
    return out


def _fmt(n: float) -> str:
    for unit, div in (('G', 1e9), ('M', 1e6), ('K', 1e3)):
        if abs(n) >= div:
            return f'{n / div:.2f}{unit}'
    return str(int(n))


def summary_line(before: dict, after: dict) -> str:
    """``params 25.6M -> 12.8M (-50.0%), FLOPs ...`` one-liner."""
    parts = []
    for key, label in (('params', 'params'), ('flops', 'FLOPs')):
        b, a = before[key], after[key]
        change = 100.0 * (a - b) / b if b else 0.0
        parts.append(f'{label} {_fmt(b)} -> {_fmt(a)} ({change:+.1f}%)')
    return ', '.join(parts)


def layer_table(before: dict,
                after: dict,
                names: Optional[List[str]] = None) -> str:
    """Per-layer params / FLOPs table from two ``layer_wise`` counts.

    Args:
        before (dict): :func:`count_params_flops` output with ``layers``.
        after (dict): The same after pruning.
        names (list[str], optional): Rows to show; defaults to the layers
            whose numbers changed.

    Returns:
        str: A fixed-width table with a total row.
    """
    lb: Dict[str, tuple] = before['layers']
    la: Dict[str, tuple] = after['layers']
    if names is None:
        names = [n for n in lb if la.get(n) != lb[n]]
    width = max([len(n) for n in names] + [len('total')])
    header = (f'{"layer":<{width}}  {"params before":>14}  '
              f'{"params after":>13}  {"FLOPs before":>13}  '
              f'{"FLOPs after":>12}')
    rows = [header, '-' * len(header)]
    for n in names:
        pb, fb = lb.get(n, (0, 0))
        pa, fa = la.get(n, (0, 0))
        rows.append(f'{n:<{width}}  {_fmt(pb):>14}  {_fmt(pa):>13}  '
                    f'{_fmt(fb):>13}  {_fmt(fa):>12}')
    rows.append('-' * len(header))
    rows.append(f'{"total":<{width}}  {_fmt(before["params"]):>14}  '
                f'{_fmt(after["params"]):>13}  {_fmt(before["flops"]):>13}  '
                f'{_fmt(after["flops"]):>12}')
    return '\n'.join(rows)
