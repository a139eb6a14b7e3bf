# Copyright (c) mmhier contributors. All rights reserved.
from collections import Counter

import numpy as np
import pytest

from mmhier.datasets.samplers import IdentityBalancedSampler
from mmhier.registry import DATA_SAMPLERS


class _LabelledDataset:
    """Minimal dataset: ``get_data_info(i)['gt_label']``."""

    def __init__(self, labels):
        self.labels = list(labels)

    def __len__(self):
        return len(self.labels)

    def get_data_info(self, idx):
        return dict(gt_label=self.labels[idx])


# 6 identities; identity 5 has a single image, identity 4 has two.
LABELS = [0] * 6 + [1] * 5 + [2] * 4 + [3] * 7 + [4] * 2 + [5]


def _batches(sampler):
    idx = list(sampler)
    assert len(idx) == len(sampler)
    return np.asarray(idx).reshape(-1, sampler.batch_size)


def test_batches_hold_p_identities_with_k_images():
    ds = _LabelledDataset(LABELS)
    sampler = DATA_SAMPLERS.build(
        dict(
            type='IdentityBalancedSampler',
            batch_size=12,
            num_instances=4,
            iters_per_epoch=50,
            seed=0),
        default_args=dict(dataset=ds))
    assert len(sampler) == 50 * 12
    labels = np.asarray(LABELS)
    for batch in _batches(sampler):
        counts = Counter(labels[batch].tolist())
        assert len(counts) == 3 and set(counts.values()) == {4}
        for pid, chunk in zip(labels[batch][::4], batch.reshape(3, 4)):
            assert (labels[chunk] == pid).all()
            if LABELS.count(pid) >= 4:  # enough images: no repeat
                assert len(set(chunk.tolist())) == 4
    # every identity is drawn, including the one with a single image
    assert set(labels[list(sampler)]) == set(range(6))


def test_seeded_and_epoch_aware():
    ds = _LabelledDataset(LABELS)
    a = IdentityBalancedSampler(ds, 8, 4, iters_per_epoch=20, seed=3)
    b = IdentityBalancedSampler(ds, 8, 4, iters_per_epoch=20, seed=3)
    assert list(a) == list(b) and list(a) == list(a)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first
    state = a.state_dict()
    b.load_state_dict(state)
    assert list(b) == list(a)


def test_ddp_ranks_share_plan_but_get_different_identities():
    ds = _LabelledDataset(LABELS)
    ranks = [
        IdentityBalancedSampler(
            ds, 8, 4, iters_per_epoch=30, seed=1, rank=r, num_replicas=3)
        for r in range(3)
    ]
    labels = np.asarray(LABELS)
    per_rank = [_batches(s) for s in ranks]
    for step in range(30):
        ids = [set(labels[b[step]].tolist()) for b in per_rank]
        assert all(len(i) == 2 for i in ids)
        assert len(ids[0] | ids[1] | ids[2]) == 6  # disjoint across ranks


def test_ddp_union_equals_one_process_global_batch():
    """N ranks x (P x K) draw exactly the batches of one process with the
    global batch N*P x K (what DDP-vs-single-process equivalence needs)."""
    labels = [i // 6 for i in range(12 * 6)]  # 12 identities x 6 images
    ds = _LabelledDataset(labels)
    single = _batches(
        IdentityBalancedSampler(ds, 16, 4, iters_per_epoch=5, seed=7))
    ranks = [
        _batches(
            IdentityBalancedSampler(
                ds, 8, 4, iters_per_epoch=5, seed=7, rank=r, num_replicas=2))
        for r in range(2)
    ]
    np.testing.assert_array_equal(np.concatenate(ranks, axis=1), single)


def test_set_labels_rebuilds_and_drops_outliers():
    ds = _LabelledDataset(LABELS)
    sampler = IdentityBalancedSampler(ds, 8, 4, iters_per_epoch=20, seed=0)
    pseudo = np.full(len(LABELS), -1)
    pseudo[:10] = [7, 7, 7, 9, 9, 9, 9, 9, 7, 7]
    sampler.set_labels(pseudo)
    drawn = list(sampler)
    assert max(drawn) < 10  # outliers never sampled
    assert (pseudo[drawn] >= 0).all()
    restored = IdentityBalancedSampler(ds, 8, 4, iters_per_epoch=20, seed=0)
    restored.load_state_dict(sampler.state_dict())
    assert list(restored) == drawn
    with pytest.raises(ValueError, match='labels for a dataset'):
        sampler.set_labels(pseudo[:5])
    with pytest.raises(ValueError, match='-1'):
        sampler.set_labels(np.full(len(LABELS), -1))


def test_batch_size_checks_and_few_identities_warning():
    ds = _LabelledDataset(LABELS)
    with pytest.raises(ValueError, match='multiple of num_instances'):
        IdentityBalancedSampler(ds, batch_size=10, num_instances=4, seed=0)
    sampler = IdentityBalancedSampler(ds, 16, 4, seed=0)
    sampler.check_batch_size(16)
    with pytest.raises(ValueError, match='batch_size=64'):
        sampler.check_batch_size(64)
    with pytest.warns(UserWarning, match='identities will repeat'):
        IdentityBalancedSampler(ds, 32, 4, iters_per_epoch=2, seed=0)
