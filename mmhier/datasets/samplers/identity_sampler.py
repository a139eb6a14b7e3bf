# Copyright (c) mmhier contributors. All rights reserved.
"""P x K identity-balanced sampler for person re-ID (Hermans et al., 2017;
the MMT batch of 16 identities x 4 images).

Differences from the authors' ``RandomMultipleGallerySampler``, each needed
in an MMEngine/DDP setting:

* a fixed ``iters_per_epoch`` (their ``IterLoader(length=400)``), so an
  epoch is 400 iterations whatever the number of (pseudo) identities;
* the identity plan is drawn from ``(seed, epoch)`` and is the same on every
  rank; rank ``r`` takes identities ``[r*P, (r+1)*P)`` of each global batch,
  so under DDP the ranks see different identities in each step;
* ``set_labels`` rebuilds the plan when the clustering hook produces new
  pseudo labels (outliers, label -1, are never sampled);
* everything is vectorised with NumPy (no loop over identities).

Identities with fewer than ``num_instances`` images are sampled with
replacement, the others without (as in the authors' ``RandomIdentitySampler``).
"""
import warnings
from typing import Iterator, Optional

import numpy as np
from mmengine.dist import sync_random_seed
from torch.utils.data import Sampler

from mmhier.registry import DATA_SAMPLERS
from .dist import sampler_rank_and_world_size


@DATA_SAMPLERS.register_module()
class IdentityBalancedSampler(Sampler):
    """Yield batches of ``P = batch_size // num_instances`` identities with
    ``K = num_instances`` images each, ``iters_per_epoch`` batches per epoch
    and rank.

    Args:
        dataset (Dataset): A re-ID dataset whose ``get_data_info(i)`` has
            ``gt_label``; those labels are used until :meth:`set_labels`.
        batch_size (int): Per-GPU batch size; must equal the dataloader's
            ``batch_size`` (use :meth:`check_batch_size`). Defaults to 64.
        num_instances (int): Images per identity K. Defaults to 4.
        iters_per_epoch (int): Batches per epoch and rank. Defaults to 400.
        seed (int, optional): Shared seed; ``None`` draws one and broadcasts
            it from rank 0.
        rank (int, optional): Override the distributed rank (tests).
        num_replicas (int, optional): Override the world size (tests).

    Example:
        >>> train_dataloader = dict(
        ...     batch_size=64,
        ...     sampler=dict(type='IdentityBalancedSampler', batch_size=64,
        ...                  num_instances=4, iters_per_epoch=400),
        ...     dataset=dict(type='Market1501Dataset', ...))
    """

    def __init__(self,
                 dataset,
                 batch_size: int = 64,
                 num_instances: int = 4,
                 iters_per_epoch: int = 400,
                 seed: Optional[int] = None,
                 rank: Optional[int] = None,
                 num_replicas: Optional[int] = None) -> None:
        if num_instances < 1 or batch_size < 1 or \
                batch_size % num_instances != 0:
            raise ValueError(
                f'IdentityBalancedSampler: batch_size={batch_size} must be a '
                f'positive multiple of num_instances={num_instances}')
        if iters_per_epoch < 1:
            raise ValueError('IdentityBalancedSampler: iters_per_epoch must '
                             f'be >= 1, got {iters_per_epoch}')
        self.rank, self.world_size = sampler_rank_and_world_size(
            rank, num_replicas)
        self.dataset = dataset
        self.batch_size = batch_size
        self.num_instances = num_instances
        self.num_identities = batch_size // num_instances
        self.iters_per_epoch = iters_per_epoch
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.epoch = 0
        labels = np.array([
            dataset.get_data_info(i)['gt_label'] for i in range(len(dataset))
        ], dtype=np.int64)
        self.set_labels(labels)

    def check_batch_size(self, batch_size: int) -> None:
        """Raise unless ``batch_size`` (the dataloader's) equals P x K."""
        if batch_size != self.batch_size:
            raise ValueError(
                f'the dataloader batch_size={batch_size} differs from the '
                f'IdentityBalancedSampler batch_size={self.batch_size} '
                f'(= {self.num_identities} identities x '
                f'{self.num_instances} instances); set both to the same '
                'value')

    def set_labels(self, labels) -> None:
        """(Re)build the identity index from per-sample labels.

        Args:
            labels (array-like): One integer label per dataset sample; -1
                (or any negative value) marks samples never to be drawn.
        """
        labels = np.asarray(labels).astype(np.int64).reshape(-1)
        if labels.shape[0] != len(self.dataset):
            raise ValueError(
                f'set_labels got {labels.shape[0]} labels for a dataset of '
                f'{len(self.dataset)} samples')
        sample_idx = np.flatnonzero(labels >= 0)
        if sample_idx.size == 0:
            raise ValueError('set_labels: every sample is labelled -1; there '
                             'is no identity to sample')
        order = sample_idx[np.argsort(labels[sample_idx], kind='stable')]
        ids, starts, counts = np.unique(
            labels[order], return_index=True, return_counts=True)
        self.labels = labels
        self._order, self._starts, self._counts = order, starts, counts
        self.identities = ids
        needed = self.num_identities * self.world_size
        if ids.size < needed:
            warnings.warn(
                f'IdentityBalancedSampler: only {ids.size} identities for '
                f'{needed} per global batch ({self.world_size} rank(s) x '
                f'{self.num_identities}); identities will repeat in a batch')

    def _identity_plan(self) -> np.ndarray:
        """Global plan (iters, world_size * P) of identity positions, the
        same on every rank."""
        rng = np.random.default_rng([self.seed, self.epoch])
        num_ids = self.identities.size
        needed = self.num_identities * self.world_size
        if num_ids < needed:
            return rng.integers(0, num_ids, (self.iters_per_epoch, needed))
        keys = rng.random((self.iters_per_epoch, num_ids))
        return np.argsort(keys, axis=1)[:, :needed]

    def _instance_offsets(self, counts: np.ndarray,
                          rng: np.random.Generator) -> np.ndarray:
        """K offsets in ``[0, count)`` per drawn identity: distinct when
        ``count >= K`` (sequential draw with shifting past the values already
        taken, which is uniform), with replacement otherwise."""
        k = self.num_instances
        u = rng.random(counts.shape + (k, ))
        with_repl = np.floor(u * counts[..., None]).astype(np.int64)
        distinct = np.empty_like(with_repl)
        for j in range(k):
            r = np.floor(u[..., j] * np.maximum(counts - j, 1)).astype(
                np.int64)
            taken = np.sort(distinct[..., :j], axis=-1)
            for t in range(j):
                r = r + (r >= taken[..., t])
            distinct[..., j] = r
        return np.where((counts >= k)[..., None], distinct, with_repl)

    def __iter__(self) -> Iterator[int]:
        plan = self._identity_plan()
        # Draw the instances of the whole global plan, then take this rank's
        # columns: the union of the ranks' batches is then exactly the batch
        # one process with the global batch size would draw (DDP with N
        # ranks x P x K == one process with N*P x K).
        rng = np.random.default_rng([self.seed, self.epoch, 1])
        offsets = self._instance_offsets(self._counts[plan], rng)
        p = self.num_identities
        cols = slice(self.rank * p, (self.rank + 1) * p)
        mine, offsets = plan[:, cols], offsets[:, cols]
        positions = self._starts[mine][..., None] + offsets
        yield from self._order[positions].reshape(-1).tolist()

    def __len__(self) -> int:
        """Indices per epoch and rank: ``iters_per_epoch * P * K``."""
        return self.iters_per_epoch * self.batch_size

    def set_epoch(self, epoch: int) -> None:
        """Draw a new plan for ``epoch`` at the next ``iter()``."""
        self.epoch = epoch

    def state_dict(self) -> dict:
        """Seed, epoch and current labels (plain data)."""
        return dict(seed=self.seed, epoch=self.epoch,
                    labels=self.labels.tolist())

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""
        self.seed = int(state['seed'])
        self.epoch = int(state['epoch'])
        self.set_labels(np.asarray(state['labels'], dtype=np.int64))
