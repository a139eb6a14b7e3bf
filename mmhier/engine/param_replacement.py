# Copyright (c) mmhier contributors. All rights reserved.
"""Keep a training run consistent after the model's parameters were
replaced.

Hooks that re-create parameters during training (pruning replaces every
pruned layer's weights by narrower ones; MMT's clustering re-creates the
classifiers with a new number of classes) leave three things pointing at
the old ``nn.Parameter`` objects: the optimizer (its param groups and its
per-parameter state in the old shapes), the param schedulers (which hold
the optimizer) and a DDP wrapper (which registered the old parameters and
their gradient buckets). :func:`sync_after_param_replacement` repairs all of
them; the helpers it uses are public for hooks that need one step only.

Two ways to repair the optimizer are offered:

- ``'rebuild'``: a new optim wrapper is built from ``cfg.optim_wrapper``, so
  a ``paramwise_cfg`` / custom constructor sees the new parameters; it starts
  with empty state and takes the old param groups' current hyper-parameters
  (lr, momentum, ... as scaled or scheduled so far). The param schedulers
  are rebuilt on it from ``cfg.param_scheduler`` and take the old
  schedulers' state (``last_step``, base lrs), so the schedule continues
  from the same step. Needs a full MMEngine ``Runner``.
- ``'repoint'``: the existing optimizer is kept; every param group entry is
  replaced by the model's parameter of the same name and the state is
  cleared (as MMT's authors do by building a new Adam every epoch). The
  optimizer object, its groups and the schedulers stay as they are.

Optimizer state (momentum, Adam moments) is never carried over: it belongs
to the old shapes.
"""
import copy
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.hooks import EMAHook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.optim.scheduler import _ParamScheduler

from mmhier.utils import unwrap_model

#: id(parameter) -> (name, parameter, shape), see :func:`param_index`.
ParamIndex = Dict[int, Tuple[str, nn.Parameter, tuple]]


def param_index(model: nn.Module) -> ParamIndex:
    """``id(parameter) -> (name, parameter, shape)`` of ``model``.

    Take it *before* the parameters are replaced: holding the old
    parameters keeps their ids unique, and the names map the optimizer's old
    entries to the new parameters.
    """
    return {
        id(p): (n, p, tuple(p.shape))
        for n, p in model.named_parameters()
    }


def params_changed(model: nn.Module, old_index: ParamIndex) -> bool:
    """True if a parameter of ``model`` is new or has a new shape."""
    return any(
        id(p) not in old_index or old_index[id(p)][2] != tuple(p.shape)
        for p in model.parameters())


def _optim_wrappers(optim_wrapper) -> dict:
    if isinstance(optim_wrapper, OptimWrapperDict):
        return dict(optim_wrapper.items())
    return {'': optim_wrapper}


def _copy_hyper_params(old, new) -> None:
    """Carry the current lr / momentum / ... (not the state) over."""
    old_w, new_w = _optim_wrappers(old), _optim_wrappers(new)
    for name, old_opt in old_w.items():
        og, ng = old_opt.optimizer.param_groups, \
            new_w[name].optimizer.param_groups
        if len(og) != len(ng) or any(
                len(a['params']) != len(b['params']) for a, b in zip(og, ng)):
            raise RuntimeError(
                f'optimizer {name or "optim_wrapper"}: the rebuilt optimizer '
                'groups the parameters differently from the old one '
                f'({[len(g["params"]) for g in og]} vs '
                f'{[len(g["params"]) for g in ng]} params per group)')
        for a, b in zip(og, ng):
            b.update({k: v for k, v in a.items() if k != 'params'})
    if hasattr(old, 'loss_scaler') and hasattr(new, 'loss_scaler'):
        new.loss_scaler.load_state_dict(old.loss_scaler.state_dict())


def _schedulers_built(schedulers) -> bool:
    """True for built schedulers (list, or dict of lists), False for
    configs / None."""
    if isinstance(schedulers, dict) and 'type' not in schedulers:
        groups = list(schedulers.values())
    else:
        groups = [schedulers]
    return bool(groups) and all(
        isinstance(g, list) and g and isinstance(g[0], _ParamScheduler)
        for g in groups)


def rebuild_optim_wrapper(runner, in_training: bool) -> None:
    """Rebuild ``runner.optim_wrapper`` (and its param schedulers) from the
    config over the model's current parameters.

    A new optim wrapper is built from ``cfg.optim_wrapper`` (so
    ``paramwise_cfg`` sees the new parameters), with empty state and the
    old groups' current hyper-parameters; param schedulers are rebuilt on it
    from ``cfg.param_scheduler`` with the old schedulers' state. Nothing is
    done while the optim wrapper is still a config (the runner builds it
    from the current model later).

    Args:
        runner (Runner): The runner.
        in_training (bool): Re-initialise the gradient-accumulation counters
            (the runner does it itself after ``load_or_resume``).
    """
    old = runner.optim_wrapper
    if not isinstance(old, OptimWrapper):
        return  # not built yet: it will be built from the current model
    new = runner.build_optim_wrapper(copy.deepcopy(runner.cfg.optim_wrapper))
    runner.optim_wrapper = new
    old_schedulers = runner.param_schedulers
    if _schedulers_built(old_schedulers):
        runner.param_schedulers = runner.build_param_scheduler(
            copy.deepcopy(runner.cfg.param_scheduler))
        olds = old_schedulers if isinstance(old_schedulers, dict) else {
            '': old_schedulers}
        news = runner.param_schedulers if isinstance(
            runner.param_schedulers, dict) else {'': runner.param_schedulers}
        for key, schedulers in olds.items():
            for o, n in zip(schedulers, news[key]):
                n.load_state_dict(o.state_dict())
    _copy_hyper_params(old, new)
    if in_training:
        new.initialize_count_status(runner.model, runner.iter,
                                    runner.max_iters)


def repoint_optimizer(optim_wrapper, model: nn.Module,
                      old_index: ParamIndex) -> bool:
    """Point the param groups of ``optim_wrapper.optimizer`` at the model's
    parameters of the same names and clear the optimizer state.

    Args:
        optim_wrapper: An optim wrapper (anything with ``.optimizer``), or
            None / a config (then nothing is done).
        model (nn.Module): The model with the new parameters.
        old_index (dict): :func:`param_index` of the model taken before the
            parameters were replaced.

    Returns:
        bool: Whether a group entry now holds a different parameter.
    """
    optimizer = getattr(optim_wrapper, 'optimizer', None)
    if not isinstance(optimizer, torch.optim.Optimizer):
        return False
    params = dict(model.named_parameters())
    replaced = False
    for group in optimizer.param_groups:
        new_params = []
        for p in group['params']:
            name = old_index.get(id(p), (None, ))[0]
            if name is None:
                raise RuntimeError('the optimizer holds a parameter that is '
                                   'not in the model')
            new_params.append(params[name])
            replaced |= new_params[-1] is not p
        group['params'] = new_params
    optimizer.state.clear()
    return replaced


def refresh_ema_hooks(runner) -> None:
    """Point the averaged parameters of MMEngine ``EMAHook`` copies at their
    modules' current parameters (after those were replaced)."""
    for hook in getattr(runner, 'hooks', ()):
        ema_model = getattr(hook, 'ema_model', None)
        if not isinstance(hook, EMAHook) or ema_model is None:
            continue
        if ema_model.update_buffers:
            ema_model.avg_parameters = ema_model.module.state_dict()
        else:
            ema_model.avg_parameters = dict(
                ema_model.module.named_parameters())


def rewrap_model(runner) -> None:
    """Wrap the model again with ``cfg.model_wrapper_cfg`` if it is wrapped
    (DDP registered the old parameters and their buckets). The runner's
    ``wrap_model`` handles ``device_ids`` (set to None for CPU / gloo by
    :func:`mmhier.utils.setup_cpu_distributed` and
    :class:`mmhier.engine.CommHookDistributedDataParallel`)."""
    if is_model_wrapper(runner.model):
        runner.model = runner.wrap_model(
            copy.deepcopy(runner.cfg.get('model_wrapper_cfg')),
            unwrap_model(runner.model))


def sync_after_param_replacement(runner,
                                 optimizer: str = 'rebuild',
                                 old_index: Optional[ParamIndex] = None,
                                 in_training: bool = True) -> None:
    """Repair the optimizer, the param schedulers and the DDP wrapper after
    parameters of ``runner.model`` were replaced.

    Args:
        runner (Runner): The runner (``'repoint'`` needs only ``model``,
            ``optim_wrapper`` and, for a wrapped model, ``cfg`` and
            ``wrap_model``).
        optimizer (str): ``'rebuild'`` (:func:`rebuild_optim_wrapper`) or
            ``'repoint'`` (:func:`repoint_optimizer`). Defaults to
            ``'rebuild'``.
        old_index (dict, optional): :func:`param_index` taken before the
            replacement. Required by ``'repoint'``; when given, a wrapped
            model is re-wrapped only if a parameter is new or reshaped,
            otherwise always.
        in_training (bool): See :func:`rebuild_optim_wrapper`.
    """
    if optimizer not in ('rebuild', 'repoint'):
        raise ValueError("optimizer must be 'rebuild' or 'repoint', got "
                         f'{optimizer!r}')
    model = unwrap_model(runner.model)
    if optimizer == 'rebuild':
        rebuild_optim_wrapper(runner, in_training)
    else:
        if old_index is None:
            raise ValueError("optimizer='repoint' needs old_index")
        repoint_optimizer(getattr(runner, 'optim_wrapper', None), model,
                          old_index)
    if old_index is None or params_changed(model, old_index):
        rewrap_model(runner)
