# Copyright (c) mmhier contributors. All rights reserved.
"""Infinite sampler whose every per-GPU batch mixes datasets in a fixed ratio.

The paper trains on Cityscapes : Vistas : GTSDB = 1 : 2 : 1 in each batch of
4. This is mmdet's ``MultiSourceSampler`` idea (per-source infinite shuffled
streams, rank-aware slicing, batch composition computed once in
``__init__``) with three changes, each needed here:

* the ratio must be met *exactly* (a batch size that cannot hold the ratio is
  an error instead of being silently rounded);
* every source gets its own seed (``seed + source``) so that two sources of
  equal length do not visit their samples in lock-step;
* the streams are created in ``__iter__`` from ``(seed, epoch)``, so
  ``iter(sampler)`` always restarts at the same position. MMEngine's
  ``IterBasedTrainLoop`` resumes by building a fresh dataloader iterator and
  consuming ``runner.iter`` batches from it; with this sampler the batch seen
  after resuming is exactly the one an uninterrupted run would have seen.

**One batch knob.** The composition depends on the batch size, which
MMEngine gives the dataloader, not the sampler. Used with
:class:`MultiSourceRatioBatchSampler` (``batch_sampler=dict(type=
'MultiSourceRatioBatchSampler')``, the way mmdet's ``AspectRatioBatchSampler``
is used), the sampler takes ``train_dataloader.batch_size``, so
``--cfg-options train_dataloader.batch_size=8`` gives 2:4:2 batches, and a
batch size that cannot hold the ratio fails when the dataloader is built. A
sampler ``batch_size`` that disagrees with the dataloader's is an error
naming both numbers.
"""
import itertools
from typing import Iterator, List, Optional, Sequence, Union

import torch
from mmengine.dist import sync_random_seed
from torch.utils.data import BatchSampler, Sampler

from mmhier.registry import DATA_SAMPLERS
from .dist import sampler_rank_and_world_size


def samples_per_source(batch_size: int,
                       source_ratio: Sequence[Union[int, float]]) -> List[int]:
    """Number of samples each source contributes to one batch.

    Args:
        batch_size (int): Samples per batch (per GPU).
        source_ratio (Sequence[int | float]): Relative share of each source.

    Returns:
        list[int]: ``batch_size * r_i / sum(r)`` for every source.

    Raises:
        ValueError: if a share is not a whole number of samples, is negative,
            or the batch size is not positive.
    """
    if not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(
            f'batch_size must be a positive int, got {batch_size!r}')
    _check_ratio(source_ratio)
    total = float(sum(source_ratio))
    shares = [batch_size * r / total for r in source_ratio]
    counts = [int(round(s)) for s in shares]
    if any(abs(s - c) > 1e-6 for s, c in zip(shares, counts)):
        raise ValueError(
            f'batch_size={batch_size} cannot hold source_ratio='
            f'{list(source_ratio)} exactly (per-source shares {shares}); '
            'use a batch size that is a multiple of the ratio sum')
    return counts


def _check_ratio(source_ratio: Sequence[Union[int, float]]) -> None:
    if len(source_ratio) == 0 or any(r < 0 for r in source_ratio) or \
            sum(source_ratio) <= 0:
        raise ValueError('source_ratio must be non-negative with a positive '
                         f'sum, got {list(source_ratio)}')


@DATA_SAMPLERS.register_module()
class MultiSourceRatioSampler(Sampler):
    """Infinite sampler over a concatenated dataset with a per-batch ratio.

    The indices it yields, cut into consecutive chunks of ``batch_size``
    (which is what the dataloader's default batch sampler does when its
    ``batch_size`` equals this one), form batches that hold exactly
    ``samples_per_source(batch_size, source_ratio)[i]`` samples of source
    ``i``, in source order.

    Each source has an infinite stream: shuffled permutations of its indices
    drawn one after another from a generator seeded with
    ``seed + 1000 * epoch + source``. Under DDP, rank ``r`` of ``W`` takes
    elements ``r, r + W, r + 2W, ...`` of every stream, so the ranks see
    disjoint samples within each pass over a source.

    Args:
        dataset (Sized): A concatenated dataset exposing ``datasets`` and
            ``cumulative_sizes`` (:class:`HierConcatDataset`, mmengine's or
            torch's ``ConcatDataset``).
        batch_size (int, optional): Per-GPU batch size. Leave it None and
            add ``batch_sampler=dict(type='MultiSourceRatioBatchSampler')``
            to the dataloader: the dataloader's ``batch_size`` is then the
            only one. If set, it must equal the dataloader's.
        source_ratio (list[int | float]): Share of each source in a batch,
            e.g. ``[1, 2, 1]``.
        shuffle (bool): Shuffle each pass over a source. Defaults to True.
        seed (int, optional): Base seed, shared by all ranks. ``None`` draws
            one and broadcasts it from rank 0. Defaults to None.
        rank (int, optional): Override the rank (tests, custom launchers).
            Defaults to the distributed rank.
        num_replicas (int, optional): Override the world size. Defaults to
            the distributed world size.

    Example:
        >>> train_dataloader = dict(
        ...     batch_size=4,
        ...     sampler=dict(type='MultiSourceRatioSampler',
        ...                  source_ratio=[1, 2, 1], seed=0),
        ...     batch_sampler=dict(type='MultiSourceRatioBatchSampler'),
        ...     dataset=dict(type='HierConcatDataset', datasets=[...]))
    """

    def __init__(self,
                 dataset,
                 batch_size: Optional[int] = None,
                 source_ratio: Optional[List[Union[int, float]]] = None,
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 rank: Optional[int] = None,
                 num_replicas: Optional[int] = None) -> None:
        if not hasattr(dataset, 'cumulative_sizes'):
            raise TypeError(
                'MultiSourceRatioSampler needs a concatenated dataset with '
                f'`cumulative_sizes` (e.g. HierConcatDataset), got '
                f'{type(dataset).__name__}')
        if source_ratio is None:
            raise TypeError('MultiSourceRatioSampler needs source_ratio, '
                            'e.g. [1, 2, 1]')
        if len(source_ratio) != len(dataset.cumulative_sizes):
            raise ValueError(
                f'source_ratio has {len(source_ratio)} entries but the '
                f'dataset concatenates {len(dataset.cumulative_sizes)} '
                'datasets')
        self.rank, self.world_size = sampler_rank_and_world_size(
            rank, num_replicas)

        self.dataset = dataset
        self.source_ratio = list(source_ratio)
        _check_ratio(self.source_ratio)
        self.batch_size: Optional[int] = None
        self.num_per_source: Optional[List[int]] = None
        if batch_size is not None:
            self.set_batch_size(batch_size)
        self.offsets = [0] + list(dataset.cumulative_sizes[:-1])
        self.sizes = [
            end - start
            for start, end in zip(self.offsets, dataset.cumulative_sizes)
        ]
        for source, (size, share) in enumerate(
                zip(self.sizes, self.source_ratio)):
            if share > 0 and size == 0:
                raise ValueError(
                    f'source {source} is empty but source_ratio '
                    f'{self.source_ratio} asks for sample(s) of it in every '
                    'batch')
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.epoch = 0

    def set_batch_size(self, batch_size: int) -> None:
        """Fix the per-GPU batch size and the batch composition.

        Called by :class:`MultiSourceRatioBatchSampler` with the
        dataloader's ``batch_size``.

        Raises:
            ValueError: if a batch size was given before and differs, or if
                ``batch_size`` cannot hold ``source_ratio`` exactly.
        """
        if self.batch_size is not None and batch_size != self.batch_size:
            raise ValueError(
                f'MultiSourceRatioSampler has batch_size={self.batch_size} '
                f'but the dataloader has batch_size={batch_size}; the '
                f'source_ratio {self.source_ratio} would not hold per batch. '
                'Drop the sampler\'s batch_size (the dataloader\'s is then '
                'the only one) or make them equal.')
        try:
            self.num_per_source = samples_per_source(batch_size,
                                                     self.source_ratio)
        except ValueError as e:
            raise ValueError(
                f'MultiSourceRatioSampler: the dataloader\'s '
                f'batch_size={batch_size} cannot hold source_ratio='
                f'{self.source_ratio} exactly ({e}); set '
                'train_dataloader.batch_size to a multiple of '
                f'{_ratio_unit(self.source_ratio)}') from None
        self.batch_size = batch_size

    def _infinite_indices(self, source: int) -> Iterator[int]:
        """Endless passes over one source (local indices)."""
        generator = torch.Generator()
        generator.manual_seed(self.seed + 1000 * self.epoch + source)
        size = self.sizes[source]
        while True:
            if self.shuffle:
                yield from torch.randperm(size, generator=generator).tolist()
            else:
                yield from range(size)

    def _indices_of_rank(self, source: int) -> Iterator[int]:
        """This rank's share of a source's stream, as global indices."""
        offset = self.offsets[source]
        for idx in itertools.islice(
                self._infinite_indices(source), self.rank, None,
                self.world_size):
            yield offset + idx

    def __iter__(self) -> Iterator[int]:
        if self.num_per_source is None:
            raise RuntimeError(
                'MultiSourceRatioSampler has no batch size: add '
                "batch_sampler=dict(type='MultiSourceRatioBatchSampler') to "
                'the dataloader config (it passes the dataloader\'s '
                'batch_size), or give the sampler batch_size=')
        streams = [
            self._indices_of_rank(source)
            for source in range(len(self.num_per_source))
        ]
        while True:
            for stream, num in zip(streams, self.num_per_source):
                yield from itertools.islice(stream, num)

    def __len__(self) -> int:
        """Length of the concatenated dataset (the stream is infinite; this
        is what mmdet's ``MultiSourceSampler`` reports too)."""
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """Re-seed the streams for ``epoch``; takes effect at the next
        ``iter()``. Iteration-based training never calls it (the stream is
        infinite), epoch-based loops do."""
        self.epoch = epoch


def _ratio_unit(source_ratio: Sequence[Union[int, float]]) -> Union[int, str]:
    """Smallest batch size that holds ``source_ratio`` exactly (for error
    messages); ``'?'`` if none up to 1024 does."""
    for batch_size in range(1, 1025):
        try:
            samples_per_source(batch_size, source_ratio)
            return batch_size
        except ValueError:
            continue
    return '?'


@DATA_SAMPLERS.register_module()
class MultiSourceRatioBatchSampler(BatchSampler):
    """Batches of a :class:`MultiSourceRatioSampler`, sized by the
    dataloader.

    MMEngine builds a ``batch_sampler`` with the dataloader's ``sampler``
    and ``batch_size`` (as for mmdet's ``AspectRatioBatchSampler``), so this
    class makes ``train_dataloader.batch_size`` the one number that sets the
    batch: it is handed to the sampler
    (:meth:`MultiSourceRatioSampler.set_batch_size`), which checks that it
    holds the ratio and that it agrees with the sampler's own
    ``batch_size`` if one was given. Batches are consecutive chunks of the
    sampler's stream, exactly what the default batch sampler would cut.

    Args:
        sampler (MultiSourceRatioSampler): The ratio sampler.
        batch_size (int): The dataloader's per-GPU batch size.
        drop_last (bool): Ignored (the stream is infinite); accepted for
            compatibility with ``BatchSampler``. Defaults to True.
    """

    def __init__(self,
                 sampler: MultiSourceRatioSampler,
                 batch_size: int,
                 drop_last: bool = True) -> None:
        if not isinstance(sampler, MultiSourceRatioSampler):
            raise TypeError(
                'MultiSourceRatioBatchSampler needs the dataloader\'s sampler '
                'to be a MultiSourceRatioSampler, got '
                f'{type(sampler).__name__}')
        sampler.set_batch_size(batch_size)
        super().__init__(sampler, batch_size, drop_last=True)

    def __iter__(self) -> Iterator[List[int]]:
        stream = iter(self.sampler)
        while True:
            yield list(itertools.islice(stream, self.batch_size))

    def __len__(self) -> int:
        return len(self.sampler) // self.batch_size
