# Copyright (c) mmhier contributors. All rights reserved.
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.hooks import Hook

from mmhier.registry import HOOKS
from mmhier.utils import unwrap_model


@HOOKS.register_module()
class MeanNetHook(Hook):
    """Temporal average ("mean net") update of Mutual Mean-Teaching.

    `MMT <https://arxiv.org/abs/2001.01526>`_ keeps, for each peer network
    θ_i, a mean network E[θ_i] updated after every training iteration t
    (the global iteration, counted from 0) by

    .. math::
        \\alpha_t = \\min\\left(1 - \\frac{1}{t + 1}, \\alpha\\right), \\qquad
        E^{(t)}[\\theta_i] = \\alpha_t E^{(t-1)}[\\theta_i]
                             + (1 - \\alpha_t)\\, \\theta_i

    exactly as the authors' ``_update_ema_variables(model, ema_model, alpha,
    global_step)`` with ``global_step = epoch * iters + i``: at t = 0,
    α_0 = 0 and the mean net becomes a copy of the peer; the warm-up then
    follows α_t = t / (t + 1) (a running mean) until it reaches α.

    Where it differs from mmdet's ``MeanTeacherHook``: two students and two
    teachers (``peer1 -> mean1``, ``peer2 -> mean2``, each teacher supervises
    the OTHER peer inside
    :class:`~mmhier.models.uda.BaseMutualMeanTeaching`), the α warm-up
    above, and only parameters are averaged: each mean net keeps its own
    BatchNorm statistics, which it accumulates itself by running forward in
    train mode on its peer's view (the authors put the EMA models in
    ``train()`` and average ``parameters()`` only).

    The (peer, mean net) pairs are the model's: its ``mean_net_pairs()``
    (``[('peer1', 'mean1'), ('peer2', 'mean2')]``, or the first pair only
    with one peer), so a config states the number of peers once, in the
    model. The hook has no state besides its arguments: the mean nets are
    submodules of the model, so they are saved in checkpoints and restored
    by ``--resume``; t is ``runner.iter``.

    Optionally (``select_metric``) it also chooses the mean net used for
    inference, as the authors evaluate both mean nets every epoch and keep
    the better one: after each validation of the model's current test net it
    evaluates the other mean net on the same dataloader and evaluator and
    stores the index of the better one in the model's ``best_mean`` buffer
    (used by ``MMT(test_net='auto')``). Both scores are put in the message
    hub as ``val/mean1_<metric>`` and ``val/mean2_<metric>``. With one mean
    net there is nothing to choose and the selection is skipped.

    Args:
        alpha (float): Upper bound α of the averaging momentum. Defaults to
            0.999 (authors).
        select_metric (str, optional): Validation metric (key of the
            evaluator's result, e.g. ``'reid/mAP'``, higher is better) that
            selects the inference mean net. None disables the selection.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self,
                 alpha: float = 0.999,
                 select_metric: Optional[str] = None) -> None:
        if not 0 <= alpha < 1:
            raise ValueError(f'alpha must be in [0, 1), got {alpha}')
        self.alpha = alpha
        self.select_metric = select_metric
        self._selecting = False

    @staticmethod
    def pairs_of(model: nn.Module) -> List[Tuple[str, str]]:
        """The model's (peer, mean net) attribute names."""
        if not hasattr(model, 'mean_net_pairs'):
            raise AttributeError(
                f'MeanNetHook: {type(model).__name__} has no '
                'mean_net_pairs(); use it with a Mutual Mean-Teaching model')
        return [tuple(pair) for pair in model.mean_net_pairs()]

    def before_train(self, runner) -> None:
        """Check that every (peer, mean net) pair exists and matches, and
        that the mean nets get no gradient."""
        model = unwrap_model(runner.model)
        pairs = self.pairs_of(model)
        for peer_name, mean_name in pairs:
            for name in (peer_name, mean_name):
                if not isinstance(getattr(model, name, None), nn.Module):
                    raise AttributeError(
                        f'MeanNetHook: {type(model).__name__} has no '
                        f'sub-network {name!r} (pairs={pairs})')
            peer_params = dict(getattr(model, peer_name).named_parameters())
            mean_params = dict(getattr(model, mean_name).named_parameters())
            if peer_params.keys() != mean_params.keys() or any(
                    peer_params[k].shape != mean_params[k].shape
                    for k in peer_params):
                raise RuntimeError(
                    f'MeanNetHook: {mean_name} and {peer_name} have '
                    'different parameters; a mean net must mirror its peer')
            trainable = [k for k, p in mean_params.items() if p.requires_grad]
            if trainable:
                raise RuntimeError(
                    f'MeanNetHook: {mean_name} has trainable parameters '
                    f'({trainable[:3]}...); mean nets must not get gradients')
        if self.select_metric is not None and not hasattr(model, 'best_mean'):
            raise AttributeError(
                'MeanNetHook(select_metric=...) needs a model with a '
                "'best_mean' buffer (MMT)")

    @staticmethod
    def momentum_at(t: int, alpha: float) -> float:
        """α_t = min(1 - 1 / (t + 1), α)."""
        return min(1 - 1 / (t + 1), alpha)

    @torch.no_grad()
    def update(self, model: nn.Module, t: int) -> float:
        """Apply one update at global iteration ``t``; returns α_t."""
        alpha_t = self.momentum_at(t, self.alpha)
        for peer_name, mean_name in self.pairs_of(model):
            peer_params = dict(getattr(model, peer_name).named_parameters())
            for name, mean_p in getattr(model, mean_name).named_parameters():
                mean_p.mul_(alpha_t).add_(
                    peer_params[name].detach(), alpha=1 - alpha_t)
        return alpha_t

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Update the mean nets with t = ``runner.iter`` (the index of the
        iteration that has just run)."""
        self.update(unwrap_model(runner.model), runner.iter)

    # ------------------------------------------------------------------
    # choice of the inference mean net
    # ------------------------------------------------------------------
    def after_val_epoch(self,
                        runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        if self.select_metric is None or self._selecting or not metrics:
            return
        if self.select_metric not in metrics:
            raise KeyError(
                f'MeanNetHook: select_metric {self.select_metric!r} is not in '
                f'the validation results {sorted(metrics)}')
        model = unwrap_model(runner.model)
        current = int(model.best_mean)
        if getattr(model, 'test_net', 'auto') != 'auto' or \
                len(self.pairs_of(model)) < 2:
            return
        results = {current: dict(metrics)}
        other = 1 - current
        model.best_mean.fill_(other)
        self._selecting = True
        try:
            results[other] = self._evaluate(runner)
        finally:
            self._selecting = False
        scores = {k: float(v[self.select_metric]) for k, v in results.items()}
        best = max(scores, key=lambda k: (scores[k], k == current))
        model.best_mean.fill_(best)
        # report the chosen mean net's results: later hooks (checkpoint
        # save_best, logger) see them through ``metrics`` and the hub
        metrics.update(results[best])
        for k, v in results[best].items():
            runner.message_hub.update_scalar(f'val/{k}', v)
        key = self.select_metric.split('/')[-1]
        for k, v in scores.items():
            runner.message_hub.update_scalar(f'val/mean{k + 1}_{key}', v)
        runner.logger.info(
            f'MeanNetHook: mean1 {key}={scores[0]:.4f}, mean2 '
            f'{key}={scores[1]:.4f}; inference uses mean{best + 1}')

    @torch.no_grad()
    def _evaluate(self, runner) -> Dict[str, float]:
        """One more pass of the validation dataloader and evaluator with the
        model's current test net (no hooks are called)."""
        loop = runner.val_loop
        runner.model.eval()
        for data_batch in loop.dataloader:
            outputs = runner.model.val_step(data_batch)
            loop.evaluator.process(data_samples=outputs, data_batch=data_batch)
        return loop.evaluator.evaluate(len(loop.dataloader.dataset))
