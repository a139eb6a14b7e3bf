# Copyright (c) mmhier contributors. All rights reserved.
"""Structural (channel) pruning inside an MMEngine training run."""
import hashlib
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.dist import (all_gather_object, broadcast_object_list,
                           get_rank, get_world_size)
from mmengine.hooks import EMAHook, Hook

from mmhier.pruning.history import (HISTORY_META_KEY, PruningHistory,
                                    get_submodule, history_from_checkpoint)
from mmhier.pruning.planner import (PruningPlanner,
                                    example_inputs_from_batch, step_ratio)
from mmhier.pruning.report import count_params_flops, summary_line
from mmhier.registry import HOOKS
from mmhier.utils import unwrap_model
from ..param_replacement import (refresh_ema_hooks,
                                 sync_after_param_replacement)

SOURCE = 'PruningHook'


@HOOKS.register_module()
class PruningHook(Hook):
    """Prune channels with Torch-Pruning, once or iteratively, and keep the
    run consistent: optimizer, schedulers, EMA copies, DDP, checkpoints.

    **When.** Step ``j`` (0-based) of ``iterative_steps`` is due at
    iteration (or epoch, ``by_epoch=True``) ``j * interval``; due steps run in
    ``before_train`` (after ``load_from`` / ``--resume``) and after each
    train iteration / epoch. Step ``k`` reaches ``ratio * k / K`` of the
    original channels of the selected layers (see
    :func:`mmhier.pruning.planner.step_ratio`).

    **What.** ``module`` (default the whole model) is traced and pruned;
    the same ops are replayed on ``replicate_to`` (modules of identical
    structure, e.g. MMT's other peer and the mean nets: ``module='model1',
    replicate_to=['model2', 'mean1', 'mean2']``) and on the averaged model
    of MMEngine's ``EMAHook``. Layer selection and importance are those of
    :class:`mmhier.pruning.planner.PruningPlanner`.

    **After pruning** the optimizer is rebuilt from ``cfg.optim_wrapper``
    (no stale state), the schedulers are rebuilt on it with their state, and
    a DDP-wrapped model is re-wrapped. Under DDP rank 0 computes the
    importance and the plan and broadcasts it as plain data
    (``broadcast_object_list``); every rank applies the same ops.

    **Checkpoints.** ``before_save_checkpoint`` writes the history to
    ``checkpoint['meta']['pruning_history']`` (plain data, loads with
    ``torch.load(weights_only=True)``); ``after_load_checkpoint``, which
    MMEngine calls *before* the weights are copied into the model, replays
    it on the freshly built model. Keep the hook in ``custom_hooks`` of the
    config used by ``tools/test.py`` and ``--resume`` (``ratio=None`` gives a
    replay-only hook).

    **Taylor importance before the loss exists.** The Taylor pass needs
    the training loss of a real batch. A Mutual Mean-Teaching model has
    none before :class:`~mmhier.engine.hooks.ClusterPseudoLabelHook` has
    given it pseudo labels (its ``loss_ready`` is False), and a step
    due at progress 0 runs in ``before_train``, before the first clustering
    (``before_train_epoch``, or ``before_train_iter`` with per-iteration
    clustering). Such a step waits for the labels, on every rank alike (the
    labels are broadcast): it runs in the first ``before_train_iter`` that
    finds them (per-epoch clustering: before the first iteration, on its
    batch) or else in the first ``after_train_iter`` (per-iteration
    clustering, whose hook runs after this one: after the first
    iteration). The Taylor pass then uses the current pseudo labels. A
    model without ``loss_ready`` always has its loss.

    **Reporting.** Params and FLOPs of ``module`` before / after each step
    go to the log and to the message hub as ``prune/params``,
    ``prune/flops``, ``prune/params_before``, ``prune/flops_before``.

    Args:
        ratio (float, optional): Target fraction of the selected channels to
            remove, in (0, 1). None: only replay histories from checkpoints.
        layers, layer_types, first_n, ignored_layers, importance,
            global_pruning, round_to, strict_trace, pruner_kwargs: See
            :class:`mmhier.pruning.planner.PruningPlanner`.
        iterative_steps (int): Number of pruning steps. Defaults to 1.
        interval (int): Iterations (epochs) between steps. Defaults to 1.
        by_epoch (bool): Count ``interval`` in epochs. Defaults to False.
        module (str): Sub-module to prune. Defaults to ``''`` (all).
        replicate_to (Sequence[str]): Sub-modules that receive the same ops.
        input_shape (Sequence[int], optional): ``(C, H, W)`` of a random
            tracing input. By default a real batch of the train dataloader
            is passed through the model's data preprocessor.
    """

    priority = 'VERY_HIGH'  # replay before EMAHook loads its averaged model

    def __init__(self,
                 ratio: Optional[float] = 0.5,
                 layers: Union[str, Sequence[str], None] = None,
                 layer_types: Sequence = ('Conv2d', 'Linear'),
                 first_n: Optional[int] = None,
                 ignored_layers: Union[str, Sequence[str], None] = None,
                 importance: str = 'magnitude',
                 global_pruning: bool = False,
                 round_to: Optional[int] = None,
                 iterative_steps: int = 1,
                 interval: int = 1,
                 by_epoch: bool = False,
                 module: str = '',
                 replicate_to: Sequence[str] = (),
                 input_shape: Optional[Sequence[int]] = None,
                 strict_trace: bool = True,
                 pruner_kwargs: Optional[dict] = None):
        if ratio is not None and not (isinstance(ratio, (int, float))
                                      and 0.0 < ratio < 1.0):
            raise ValueError(f'PruningHook: ratio must be in (0, 1) (or None '
                             f'for replay only), got {ratio!r}')
        if not isinstance(iterative_steps, int) or iterative_steps < 1:
            raise ValueError('PruningHook: iterative_steps must be a '
                             f'positive int, got {iterative_steps!r}')
        if not isinstance(interval, int) or interval < 1:
            raise ValueError('PruningHook: interval must be a positive int, '
                             f'got {interval!r}')
        if isinstance(replicate_to, str):
            replicate_to = [replicate_to]
        if module in replicate_to:
            raise ValueError(f'PruningHook: module {module!r} is also in '
                             'replicate_to')
        self.ratio = None if ratio is None else float(ratio)
        self.planner = PruningPlanner(
            layers=layers,
            layer_types=layer_types,
            first_n=first_n,
            ignored_layers=ignored_layers,
            importance=importance,
            global_pruning=global_pruning,
            round_to=round_to,
            strict_trace=strict_trace,
            pruner_kwargs=pruner_kwargs)
        self.iterative_steps = iterative_steps
        self.interval = interval
        self.by_epoch = by_epoch
        self.module = module
        self.replicate_to = list(replicate_to)
        self.input_shape = input_shape
        self.history = PruningHistory()
        self._postponed = False  # a due step waits for pseudo labels

    # ------------------------------------------------------------ schedule
    def _steps_done(self) -> int:
        return self.history.num_steps(SOURCE)

    def _due(self, progress: int) -> bool:
        return self._steps_done() < self.iterative_steps and \
            self._steps_done() * self.interval <= progress

    def _loss_defined(self, runner) -> bool:
        """Whether the model's training loss, which the Taylor pass needs,
        can be computed now (not for MMT before its first clustering)."""
        return bool(
            getattr(unwrap_model(runner.model), 'loss_ready', True))

    def _maybe_prune(self, runner, progress: int, data_batch=None) -> None:
        if self.ratio is None or not self._due(progress):
            return
        if self.planner.importance == 'taylor' and \
                not self._loss_defined(runner):
            if not self._postponed:
                self._postponed = True
                runner.logger.info(
                    f'PruningHook: step {self._steps_done() + 1} is due, but '
                    'the model has no pseudo labels yet for the Taylor '
                    'importance pass; it runs once the clustering has made '
                    'them')
            return
        while self._due(progress):
            self.prune_step(runner, data_batch)

    def before_train(self, runner) -> None:
        model = unwrap_model(runner.model)
        for name in [self.module] + self.replicate_to:
            get_submodule(model, name)  # fail early with the available names
        self._maybe_prune(runner, runner.epoch if self.by_epoch else
                          runner.iter)

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        # only a step postponed until the pseudo labels exist is due here
        self._maybe_prune(runner, runner.epoch if self.by_epoch else
                          runner.iter, data_batch)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        self._maybe_prune(runner, runner.epoch if self.by_epoch else
                          runner.iter + 1, data_batch)

    def after_train_epoch(self, runner) -> None:
        if self.by_epoch:
            self._maybe_prune(runner, runner.epoch + 1)

    # ------------------------------------------------------------ pruning
    def _first_batch(self, runner):
        """A real batch built from the train dataset.

        Not ``next(iter(train_dataloader))``: a second iterator shares the
        sampler's generator (``InfiniteSampler``) or the persistent workers
        with the train loop's iterator and would end or reset it.
        """
        loader = runner.train_dataloader
        dataset = loader.dataset
        size = min(len(dataset), loader.batch_size or 1)
        return loader.collate_fn([dataset[i] for i in range(size)])

    def _taylor_gradients(self, runner, model: nn.Module, data_batch) -> None:
        """Gradients of the training loss on one real batch in ``.grad``.

        Computed in eval mode: BN uses its running statistics, so the batch
        does not change them and SyncBN (rank 0 alone) does not communicate.
        """
        training = model.training
        model.eval()
        model.zero_grad(set_to_none=True)
        try:
            with torch.enable_grad():
                data = model.data_preprocessor(data_batch, True)
                losses = model(**data, mode='loss')
                loss, _ = model.parse_losses(losses)
                loss.backward()
        finally:
            model.train(training)

    def _decide(self, runner, data_batch) -> dict:
        """Rank 0: choose and apply the ops of the next step (Taylor
        gradients already in ``.grad``, see :meth:`prune_step`)."""
        model = unwrap_model(runner.model)
        target = get_submodule(model, self.module)
        if data_batch is None and self.input_shape is None:
            data_batch = self._first_batch(runner)
        # the train batches are made for the runner's model: its
        # preprocessor, not that of ``module`` (MMT's peers do not take the
        # list of augmented views its shared preprocessor stacks)
        inputs = example_inputs_from_batch(model, data_batch,
                                           self.input_shape)
        before = count_params_flops(target, inputs)
        step = self._steps_done() + 1
        ops = self.planner.step(
            target, inputs, step_ratio(self.ratio, step,
                                       self.iterative_steps))
        after = count_params_flops(target, inputs)
        record = dict(
            source=SOURCE,
            module=self.module,
            targets=[self.module] + self.replicate_to,
            ratio=self.ratio * step / self.iterative_steps,
            step=step,
            num_steps=self.iterative_steps,
            ops=ops)
        return dict(record=record, before=before, after=after)

    def prune_step(self, runner, data_batch=None) -> None:
        """Run one pruning step on every rank and rebuild the runtime."""
        distributed = get_world_size() > 1
        if self.planner.importance == 'taylor':
            # Every rank runs the loss: a loss may gather across ranks
            # (e.g. the re-ID triplet losses, ``across_ranks=True``), and a
            # rank alone in a collective waits forever. Rank 0 decides.
            if data_batch is None:
                data_batch = self._first_batch(runner)
            self._taylor_gradients(runner, unwrap_model(runner.model),
                                   data_batch)
        plan = [self._decide(runner, data_batch)] if get_rank() == 0 \
            else [None]
        if distributed:
            broadcast_object_list(plan, src=0)
        plan = plan[0]
        record = plan['record']
        start = len(self.history)
        self.history.append(record)
        model = unwrap_model(runner.model)
        if get_rank() == 0:  # `module` is pruned already: replay the rest
            if self.replicate_to:
                PruningHistory([dict(record, targets=self.replicate_to)
                                ]).replay(model)
        else:
            self.history.replay(model, start)
        model.zero_grad(set_to_none=True)
        if distributed:
            self._check_ranks_agree(model)
        self._replay_on_ema(runner, start)
        self._rebuild(runner, in_training=True)
        before, after = plan['before'], plan['after']
        runner.logger.info(
            f'PruningHook step {record["step"]}/{record["num_steps"]} on '
            f'{self.module or "the model"} (ratio {record["ratio"]:.3f}, '
            f'{len(record["ops"])} layer ops, replicated to '
            f'{self.replicate_to}): {summary_line(before, after)}')
        hub = runner.message_hub
        hub.update_scalar('prune/params_before', before['params'])
        hub.update_scalar('prune/flops_before', before['flops'])
        hub.update_scalar('prune/params', after['params'])
        hub.update_scalar('prune/flops', after['flops'])

    # ------------------------------------------------------------ runtime
    @staticmethod
    def _check_ranks_agree(model: nn.Module) -> None:
        """Raise if the ranks' pruned shapes differ (before DDP would fail
        with an opaque error or hang)."""
        shapes = [(n, tuple(t.shape)) for n, t in model.state_dict().items()]
        signature = hashlib.sha1(repr(shapes).encode()).hexdigest()
        signatures = all_gather_object(signature)
        if len(set(signatures)) != 1:
            raise RuntimeError('PruningHook: ranks disagree on the pruned '
                               f'shapes (signatures {signatures})')

    def _replay_on_ema(self, runner, start: int) -> None:
        """Apply records ``start:`` to MMEngine EMAHook averaged copies."""
        for hook in runner.hooks:
            ema_model = getattr(hook, 'ema_model', None)
            if isinstance(hook, EMAHook) and ema_model is not None:
                self.history.replay(ema_model.module, start)
        refresh_ema_hooks(runner)

    def _rebuild(self, runner, in_training: bool) -> None:
        """Rebuild the optimizer and schedulers over the pruned parameters
        and re-wrap a DDP-wrapped model."""
        sync_after_param_replacement(
            runner, optimizer='rebuild', in_training=in_training)

    # ------------------------------------------------------------ checkpoint
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if len(self.history):
            checkpoint.setdefault('meta', {})[HISTORY_META_KEY] = \
                self.history.to_meta()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        loaded = history_from_checkpoint(checkpoint)
        if loaded is None:
            return
        applied = self.history.records
        if loaded.records[:len(applied)] != applied:
            raise RuntimeError(
                'the model was already pruned in this run with a history '
                'that is not a prefix of the checkpoint\'s pruning history; '
                'cannot load this checkpoint into it')
        start = len(applied)
        loaded.replay(unwrap_model(runner.model), start)
        self.history = loaded
        self._replay_on_ema(runner, start)
        self._rebuild(runner, in_training=False)
        runner.logger.info(
            f'PruningHook: replayed {len(loaded) - start} pruning records '
            'from the checkpoint before loading its weights')
