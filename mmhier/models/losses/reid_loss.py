# Copyright (c) mmhier contributors. All rights reserved.
"""The registered-module shape of the re-ID losses of MMT (Ge et al., ICLR
2020): each loss is a functional core (e.g. :func:`softmax_triplet_loss`)
and a thin registered module that holds its options, its ``loss_weight``
and its ``loss_name``, as mmseg's losses do."""
from typing import Callable, Optional

import torch
import torch.nn as nn


class BaseReIDLoss(nn.Module):
    """A registered wrapper of a functional re-ID loss.

    ``forward(*inputs, weight=None, reduction_override=None)`` returns

    .. math::
        \\text{loss\\_weight} \\cdot
        \\text{loss\\_fn}(*\\text{inputs}, \\text{weight},
        \\text{reduction}, **\\text{options})

    where ``reduction`` is ``reduction_override`` or ``'mean'`` and the
    options are the subclass's constructor arguments (:attr:`options`).

    Subclasses set ``loss_fn`` (the functional core, a ``staticmethod``),
    ``default_loss_name`` and pass their options to ``__init__``.

    Args:
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
        loss_name (str, optional): Key of the loss in the loss dict (must
            start with 'loss_'). Defaults to ``default_loss_name``.
        **options: Keyword arguments of ``loss_fn``.
    """

    loss_fn: Callable[..., torch.Tensor]
    default_loss_name: str

    def __init__(self,
                 loss_weight: float = 1.0,
                 loss_name: Optional[str] = None,
                 **options) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self._loss_name = loss_name or self.default_loss_name
        self.options = options

    def forward(self,
                *inputs: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                reduction_override: Optional[str] = None) -> torch.Tensor:
        """Weighted loss of ``inputs``; see the subclass's ``loss_fn``."""
        return self.loss_weight * self.loss_fn(
            *inputs,
            weight=weight,
            reduction=reduction_override or 'mean',
            **self.options)

    @property
    def loss_name(self) -> str:
        """Key of this loss in the loss dict (must start with 'loss_')."""
        return self._loss_name
