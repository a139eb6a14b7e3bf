# Copyright (c) mmhier contributors. All rights reserved.
import itertools

import pytest
from mmengine.runner.loops import _InfiniteDataloaderIterator
from torch.utils.data import ConcatDataset, DataLoader

from mmhier.datasets.samplers import MultiSourceRatioSampler
from mmhier.datasets.samplers.ratio_sampler import samples_per_source
from mmhier.registry import DATA_SAMPLERS

SIZES = (5, 7, 3)  # Cityscapes-, Vistas-, GTSDB-like sources
OFFSETS = (0, 5, 12)


def _concat(sizes=SIZES):
    return ConcatDataset([list(range(n)) for n in sizes])


def _source_of(idx):
    return sum(idx >= off for off in OFFSETS) - 1


def _take(sampler, n):
    return list(itertools.islice(iter(sampler), n))


def test_samples_per_source():
    assert samples_per_source(4, [1, 2, 1]) == [1, 2, 1]
    assert samples_per_source(8, [0.25, 0.5, 0.25]) == [2, 4, 2]
    assert samples_per_source(3, [1, 0, 2]) == [1, 0, 2]
    with pytest.raises(ValueError, match='cannot hold'):
        samples_per_source(5, [1, 2, 1])
    with pytest.raises(ValueError, match='batch_size'):
        samples_per_source(0, [1])


def test_every_batch_holds_the_ratio():
    sampler = MultiSourceRatioSampler(
        _concat(), batch_size=4, source_ratio=[1, 2, 1], seed=3)
    indices = _take(sampler, 4 * 50)
    for b in range(50):
        batch = indices[4 * b:4 * b + 4]
        assert [_source_of(i) for i in batch] == [0, 1, 1, 2]
    # every source is covered: after 50 batches each index has been seen
    assert set(indices) == set(range(sum(SIZES)))


def test_each_pass_is_a_permutation():
    sampler = MultiSourceRatioSampler(
        _concat(), batch_size=4, source_ratio=[1, 2, 1], seed=0)
    indices = _take(sampler, 4 * 21)
    vistas = [i for i in indices if _source_of(i) == 1]
    # 42 Vistas draws = 6 full passes over its 7 samples
    for p in range(6):
        assert sorted(vistas[7 * p:7 * p + 7]) == list(range(5, 12))


def test_ddp_ranks_are_disjoint_and_cover_each_pass():
    kwargs = dict(batch_size=4, source_ratio=[1, 2, 1], seed=11,
                  num_replicas=2)
    rank0 = _take(MultiSourceRatioSampler(_concat(), rank=0, **kwargs), 4 * 3)
    rank1 = _take(MultiSourceRatioSampler(_concat(), rank=1, **kwargs), 4 * 3)
    for source, size in enumerate(SIZES):
        s0 = [i for i in rank0 if _source_of(i) == source]
        s1 = [i for i in rank1 if _source_of(i) == source]
        # within the first pass of a source the two ranks never meet
        n = min(len(s0), len(s1), size // 2)
        assert n > 0 and not set(s0[:n]) & set(s1[:n])
    # interleaving the two ranks' Vistas draws rebuilds one full permutation
    v0 = [i for i in rank0 if _source_of(i) == 1][:3]
    v1 = [i for i in rank1 if _source_of(i) == 1][:3]
    single = MultiSourceRatioSampler(
        _concat(), batch_size=4, source_ratio=[1, 2, 1], seed=11,
        rank=0, num_replicas=1)
    v_single = [i for i in _take(single, 4 * 4) if _source_of(i) == 1][:6]
    assert [x for pair in zip(v0, v1) for x in pair] == v_single


def test_deterministic_under_seed_and_epoch():
    a = MultiSourceRatioSampler(_concat(), 4, [1, 2, 1], seed=5)
    b = MultiSourceRatioSampler(_concat(), 4, [1, 2, 1], seed=5)
    c = MultiSourceRatioSampler(_concat(), 4, [1, 2, 1], seed=6)
    assert _take(a, 40) == _take(b, 40)
    assert _take(a, 40) != _take(c, 40)
    first = _take(a, 40)
    a.set_epoch(1)
    assert _take(a, 40) != first
    b.set_epoch(1)
    assert _take(a, 40) == _take(b, 40)


def test_resume_position_matches_uninterrupted_run():
    """Reproduce MMEngine's resume: a fresh dataloader iterator advanced by
    ``runner.iter`` batches must then yield what an uninterrupted run
    yields at that iteration."""

    def loader():
        sampler = MultiSourceRatioSampler(_concat(), 4, [1, 2, 1], seed=2)
        return DataLoader(_concat(), batch_size=4, sampler=sampler,
                          num_workers=0, collate_fn=list)

    uninterrupted = _InfiniteDataloaderIterator(loader())
    reference = [next(uninterrupted) for _ in range(9)]

    resumed = _InfiniteDataloaderIterator(loader())
    for _ in range(6):  # what IterBasedTrainLoop.run does with _iter == 6
        next(resumed)
    assert [next(resumed) for _ in range(3)] == reference[6:]
    # the batches come out of the dataloader with the ratio intact
    assert all(len(batch) == 4 for batch in reference)


def test_registry_and_bad_input():
    sampler = DATA_SAMPLERS.build(
        dict(type='MultiSourceRatioSampler', batch_size=4,
             source_ratio=[1, 2, 1], seed=0),
        default_args=dict(dataset=_concat()))
    assert sampler.num_per_source == [1, 2, 1]
    with pytest.raises(ValueError, match='3 datasets'):
        MultiSourceRatioSampler(_concat(), 4, [1, 3], seed=0)
    with pytest.raises(TypeError, match='cumulative_sizes'):
        MultiSourceRatioSampler(list(range(4)), 4, [1], seed=0)
    with pytest.raises(ValueError, match='source 1 is empty'):
        MultiSourceRatioSampler(_concat((2, 0, 2)), 4, [1, 2, 1], seed=0)


def _build_train_loader(batch_size):
    """The shipped ratio config's train dataloader, built the way MMEngine
    builds it, after ``--cfg-options train_dataloader.batch_size=N`` (the
    datasets replaced by the toy concatenation)."""
    import copy
    import os.path as osp

    from mmengine.config import Config
    from mmengine.runner import Runner
    repo = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
        osp.abspath(__file__)))))
    cfg = Config.fromfile(
        osp.join(repo, 'configs', '_base_', 'datasets',
                 'cvg_1x4_ratio121.py'))
    cfg.merge_from_dict({'train_dataloader.batch_size': batch_size})
    loader_cfg = copy.deepcopy(cfg.train_dataloader.to_dict())
    # items are their own global index
    dataset = ConcatDataset([
        list(range(off, off + n)) for off, n in zip(OFFSETS, SIZES)])
    loader_cfg.update(dataset=dataset, num_workers=0,
                      persistent_workers=False, collate_fn=dict(type=list))
    loader_cfg['sampler']['seed'] = 0
    from mmengine.registry import init_default_scope
    init_default_scope('mmhier')
    return Runner.build_dataloader(loader_cfg)


def test_dataloader_batch_size_is_the_one_knob():
    """``train_dataloader.batch_size`` alone sets the batch composition: 8
    gives 2:4:2 batches, and a batch size that cannot hold 1:2:1 is an error
    at build that names both numbers (it used to build and silently give
    [cityscapes, vistas], [vistas, gtsdb], ...)."""
    loader = _build_train_loader(8)
    batches = list(itertools.islice(iter(loader), 5))
    for batch in batches:
        assert len(batch) == 8
        assert sorted(_source_of(i) for i in batch) == [0] * 2 + [1] * 4 + \
            [2] * 2
    with pytest.raises(ValueError) as err:
        _build_train_loader(2)
    assert 'batch_size=2' in str(err.value)
    assert '[1, 2, 1]' in str(err.value)


def test_batch_sampler_disagreeing_with_sampler_names_both_numbers():
    from mmhier.datasets.samplers import MultiSourceRatioBatchSampler
    sampler = MultiSourceRatioSampler(
        _concat(), batch_size=4, source_ratio=[1, 2, 1], seed=0)
    with pytest.raises(ValueError) as err:
        MultiSourceRatioBatchSampler(sampler, batch_size=8)
    assert 'batch_size=4' in str(err.value)
    assert 'batch_size=8' in str(err.value)
    # equal numbers are fine; the batches equal the plain sampler's chunks
    batches = list(itertools.islice(
        iter(MultiSourceRatioBatchSampler(sampler, batch_size=4)), 6))
    flat = _take(sampler, 24)
    assert batches == [flat[4 * b:4 * b + 4] for b in range(6)]


def test_sampler_without_batch_size_needs_the_batch_sampler():
    sampler = MultiSourceRatioSampler(
        _concat(), source_ratio=[1, 2, 1], seed=0)
    with pytest.raises(RuntimeError, match='MultiSourceRatioBatchSampler'):
        next(iter(sampler))
