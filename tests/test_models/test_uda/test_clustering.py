# Copyright (c) mmhier contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmhier.models.uda.clustering import (cluster_means, dbscan_eps_from_rho,
                                          dbscan_jaccard, has_faiss, kmeans,
                                          k_reciprocal_jaccard)


def _blobs(num_groups=4, per_group=6, dim=8, spread=0.01, seed=0):
    """Well separated groups: orthogonal-ish centres, tiny spread."""
    rng = np.random.RandomState(seed)
    centres = np.eye(dim, dtype=np.float32)[:num_groups] * 3
    labels = np.repeat(np.arange(num_groups), per_group)
    feats = centres[labels] + spread * rng.randn(len(labels), dim)
    perm = rng.permutation(len(labels))
    return feats[perm].astype(np.float32), labels[perm]


def _same_partition(a, b):
    """Labels equal up to a permutation of the cluster ids."""
    a, b = np.asarray(a), np.asarray(b)
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def _reference_jaccard(x, k1, k2):
    """Dense, loop-by-loop k-reciprocal Jaccard distance written from the
    formulas of Zhong et al. (the authors' compute_jaccard_dist steps)."""
    n = len(x)
    d = ((x[:, None] - x[None]) ** 2).sum(-1)
    d = d / d.max(1, keepdims=True)
    rank = np.argsort(d, axis=1, kind='stable')

    def recip(i, k):
        fwd = rank[i, :k + 1]
        return [j for j in fwd if i in rank[j, :k + 1]]

    kh = int(np.around(k1 / 2))
    v = np.zeros((n, n))
    for i in range(n):
        r = recip(i, k1)
        exp = set(r)
        for c in r:
            rc = recip(c, kh)
            if len(set(rc) & set(r)) > 2 / 3 * len(rc):
                exp |= set(rc)
        exp = sorted(exp)
        w = np.exp(-d[i, exp])
        v[i, exp] = w / w.sum()
    v = np.stack([v[rank[i, :k2]].mean(0) for i in range(n)])
    jac = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            t = np.minimum(v[i], v[j]).sum()
            jac[i, j] = 1 - t / (2 - t)
    return np.maximum(jac, 0)


@pytest.mark.parametrize('backend', ['sklearn', 'faiss'])
@pytest.mark.parametrize('init', [None, 'random', 'k-means++'])
def test_kmeans_blobs(backend, init):
    if backend == 'faiss' and not has_faiss():
        pytest.fail('faiss-cpu is a declared dependency and must import')
    feats, gt = _blobs()
    labels, centroids = kmeans(
        feats, 4, seed=0, backend=backend, n_init=3, init=init)
    assert labels.shape == (24, ) and centroids.shape == (4, 8)
    assert _same_partition(labels, gt)
    # centroids are the group means
    np.testing.assert_allclose(
        centroids, cluster_means(feats, labels), rtol=0, atol=1e-5)


def test_kmeans_bad_input():
    feats, _ = _blobs()
    with pytest.raises(ValueError, match='num_clusters'):
        kmeans(feats, 1)
    with pytest.raises(ValueError, match='backend'):
        kmeans(feats, 2, backend='cuml')
    with pytest.raises(ValueError, match='init'):
        kmeans(feats, 2, init='kmeans||')
    bad = feats.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        kmeans(bad, 2)


def test_jaccard_matches_dense_reference():
    rng = np.random.RandomState(1)
    x = rng.randn(30, 5).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    stored = k_reciprocal_jaccard(x, k1=6, k2=3).tocoo()
    ref = _reference_jaccard(x.astype(np.float64), k1=6, k2=3)
    # pairs that are not stored are at distance 1; explicit zeros are kept
    dense = np.ones_like(ref)
    dense[stored.row, stored.col] = stored.data
    assert (ref < 1).sum() > 60  # the example has real neighbourhoods
    np.testing.assert_allclose(dense, ref, atol=1e-5)


def test_dbscan_blobs_and_outlier():
    feats, gt = _blobs(num_groups=3, per_group=8, dim=6, spread=0.05)
    # one isolated sample far from every group -> outlier
    odd = np.zeros((1, 6), np.float32)
    odd[0, 5] = 3
    feats = np.concatenate([feats, odd])
    labels, centroids, eps = dbscan_jaccard(
        feats, eps=0.6, min_samples=4, k1=6, k2=2)
    assert eps == 0.6
    assert labels[-1] == -1
    assert _same_partition(labels[:-1], gt)
    assert centroids.shape == (3, 6)
    normed = feats / np.linalg.norm(feats, axis=1, keepdims=True)
    for c in range(3):
        np.testing.assert_allclose(
            centroids[c], normed[labels == c].mean(0), atol=1e-6)


def test_eps_from_rho_counts_implicit_ones():
    import scipy.sparse as sp
    # 4 samples: stored upper pairs 0.2 and 0.4, the other 4 pairs are 1
    jac = sp.csr_matrix(
        np.array([[0, .2, 0, 0], [.2, 0, .4, 0], [0, .4, 0, 0], [0, 0, 0,
                                                                 0]]))
    # 6 non-zero pairs; rho=0.5 -> 3 smallest: 0.2, 0.4, 1 -> mean 1.6/3
    assert dbscan_eps_from_rho(jac, rho=0.5) == pytest.approx(1.6 / 3)
    with pytest.raises(ValueError, match='rho'):
        dbscan_eps_from_rho(jac, rho=1e-6)


def test_cluster_means_ignores_outliers():
    x = torch.tensor([[1., 0], [3, 0], [0, 2], [9, 9]])
    means = cluster_means(x, np.array([0, 0, 1, -1]))
    np.testing.assert_allclose(means, [[2, 0], [0, 2]])
