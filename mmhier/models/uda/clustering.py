# Copyright (c) mmhier contributors. All rights reserved.
"""Clustering of target-domain features into hard pseudo labels (MMT).

Two modes, as in the authors' code (yxgeee/MMT,
``examples/mmt_train_kmeans.py`` and ``examples/mmt_train_dbscan.py``):

* :func:`kmeans` into a fixed number of pseudo identities (M_t = 500), with
  faiss (``faiss.Kmeans``) when it is importable and scikit-learn's
  ``KMeans`` otherwise;
* :func:`dbscan_jaccard`: DBSCAN on the k-reciprocal Jaccard distance
  (Zhong et al., CVPR 2017, "Re-ranking person re-identification with
  k-reciprocal encoding"), outliers labelled -1.

The k-reciprocal Jaccard distance is our own sparse implementation: the
authors' ``compute_jaccard_dist`` loops over samples in Python and fills a
dense N x N matrix; here every step is vectorised and only pairs that share
k-reciprocal support are stored (all other pairs have distance exactly 1,
which DBSCAN with ``eps < 1`` never links), so memory grows with N * k
instead of N^2.
"""
from typing import Optional, Tuple

import numpy as np
import scipy.sparse as sp
import torch


def _as_float32(features) -> np.ndarray:
    if isinstance(features, torch.Tensor):
        features = features.detach().cpu().numpy()
    features = np.ascontiguousarray(features, dtype=np.float32)
    if features.ndim != 2:
        raise ValueError('features must be a 2-D array [N, D], got shape '
                         f'{features.shape}')
    if not np.isfinite(features).all():
        raise ValueError('features contain NaN or Inf; the mean nets '
                         'produced invalid features')
    return features


def l2_normalize(x: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Row-wise L2 normalisation of a [N, D] array."""
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), eps)


def has_faiss() -> bool:
    """Whether ``faiss`` can be imported."""
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def kmeans(features,
           num_clusters: int,
           seed: int = 1,
           backend: str = 'auto',
           max_iter: int = 300,
           n_init: int = 1,
           tol: Optional[float] = None,
           init: Optional[str] = None) -> Tuple[np.ndarray, np.ndarray]:
    """k-means of ``features`` into ``num_clusters`` clusters.

    Args:
        features (np.ndarray | Tensor): [N, D] features.
        num_clusters (int): Number of clusters K (M_t = 500 in MMT).
        seed (int): Random seed of the centroid initialisation.
        backend (str): ``'faiss'``, ``'sklearn'`` or ``'auto'`` (faiss if
            importable, else scikit-learn).
        max_iter (int): Lloyd iterations. faiss always runs exactly this many;
            scikit-learn stops earlier when the centroids move less than
            ``tol``. Defaults to 300 (scikit-learn's default).
        n_init (int): Restarts, the best (lowest inertia) is kept. The authors
            used scikit-learn's old default (10); 1 is the default here
            because the mean nets' features change little between epochs.
        tol (float, optional): scikit-learn's convergence tolerance; None
            keeps its default (1e-4). Ignored by faiss.
        init (str, optional): ``'random'`` or ``'k-means++'``; None keeps
            the backend's default (faiss: random samples; scikit-learn:
            k-means++, what the authors used).

    Returns:
        tuple[np.ndarray, np.ndarray]: ``labels`` [N] int64 in [0, K) and
        ``centroids`` [K, D] float32 (the cluster means, not normalised).
    """
    x = _as_float32(features)
    n, d = x.shape
    if not 2 <= num_clusters <= n:
        raise ValueError(f'k-means needs 2 <= num_clusters <= number of '
                         f'samples, got num_clusters={num_clusters} for '
                         f'{n} samples')
    if init not in (None, 'random', 'k-means++'):
        raise ValueError(f"init must be None, 'random' or 'k-means++', got "
                         f'{init!r}')
    if backend == 'auto':
        backend = 'faiss' if has_faiss() else 'sklearn'
    if backend == 'faiss':
        import faiss
        init_kwargs = {}
        if init == 'k-means++':
            init_kwargs['init_method'] = \
                faiss.ClusteringInitMethod_KMEANS_PLUS_PLUS
        km = faiss.Kmeans(
            d,
            num_clusters,
            niter=max_iter,
            nredo=n_init,
            seed=seed,
            verbose=False,
            # faiss warns below 39 points per centroid (12,936 Market images
            # into 500 clusters is 26 per centroid): that is the MMT setting.
            min_points_per_centroid=1,
            # never subsample the training set.
            max_points_per_centroid=max(n, 256),
            **init_kwargs)
        km.train(x)
        _, labels = km.index.search(x, 1)
        return labels[:, 0].astype(np.int64), km.centroids.astype(np.float32)
    if backend == 'sklearn':
        from sklearn.cluster import KMeans
        kwargs = dict(tol=tol) if tol is not None else {}
        if init is not None:
            kwargs['init'] = init
        km = KMeans(
            n_clusters=num_clusters,
            random_state=seed,
            n_init=n_init,
            max_iter=max_iter,
            **kwargs).fit(x)
        return (km.labels_.astype(np.int64),
                km.cluster_centers_.astype(np.float32))
    raise ValueError(f"backend must be 'auto', 'faiss' or 'sklearn', "
                     f'got {backend!r}')


def _topk_neighbours(x: np.ndarray, k: int,
                     block: int = 4096) -> Tuple[np.ndarray, np.ndarray]:
    """k nearest neighbours (self included) by squared Euclidean distance,
    and each row's largest distance (the authors normalise every row of the
    distance matrix by it), computed block-wise so that no N x N matrix is
    kept."""
    xt = torch.from_numpy(x)
    sq = (xt * xt).sum(1)
    n = xt.shape[0]
    idx, row_max = [], []
    for start in range(0, n, block):
        xb = xt[start:start + block]
        dist = sq[start:start + block, None] + sq[None] - 2 * xb @ xt.t()
        dist.clamp_(min=0)
        # the sample itself first (ties with exact duplicates aside)
        rows = torch.arange(xb.shape[0])
        dist[rows, rows + start] = -1
        idx.append(dist.topk(k, dim=1, largest=False).indices)
        dist[rows, rows + start] = 0
        row_max.append(dist.max(1).values)
    return torch.cat(idx).numpy(), torch.cat(row_max).numpy()


def _k_reciprocal(nn: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
    """k-reciprocal neighbours R(i, k) = {j in N(i, k) : i in N(j, k)},
    where N(i, k) are the k+1 nearest neighbours (self included).

    Returns the padded neighbour table [N, k+1] and its validity mask.
    """
    cand = nn[:, :k + 1]
    back = cand[cand]  # [N, k+1, k+1]: neighbours of each neighbour
    mask = (back == np.arange(len(nn))[:, None, None]).any(-1)
    return cand, mask


def k_reciprocal_jaccard(features,
                         k1: int = 20,
                         k2: int = 6,
                         block: int = 4096) -> sp.csr_matrix:
    """Sparse k-reciprocal Jaccard distance (Zhong et al., CVPR 2017).

    With d(i, j) the squared Euclidean distance divided by row i's maximum,
    R(i, k) the k-reciprocal neighbours and R*(i) the expanded set
    (R(i, k1) united with every R(c, k1/2), c in R(i, k1), that shares more
    than 2/3 of its members with R(i, k1)):

    .. math::
        V_{ij} = \\frac{e^{-d(i,j)}}{\\sum_{j' \\in R^*(i)} e^{-d(i,j')}}
        [j \\in R^*(i)], \\quad
        V \\leftarrow \\frac{1}{k_2}\\sum_{m < k_2} V_{N(i)_m},\\\\
        d_J(i, j) = 1 - \\frac{\\sum_k \\min(V_{ik}, V_{jk})}
                              {2 - \\sum_k \\min(V_{ik}, V_{jk})}.

    These are the steps of the authors' ``compute_jaccard_dist`` with
    ``lambda_value=0``.

    Args:
        features (np.ndarray | Tensor): [N, D] features (L2-normalised in
            MMT).
        k1 (int): Size of the k-reciprocal neighbourhood. Defaults to 20.
        k2 (int): Size of the local query expansion. Defaults to 6.
        block (int): Rows per block of the neighbour search.

    Returns:
        scipy.sparse.csr_matrix: [N, N] Jaccard distances for the pairs that
        share support (the diagonal included, as 0); every pair not stored
        has distance 1.
    """
    x = _as_float32(features)
    n = len(x)
    k_half = int(np.around(k1 / 2))
    knn = min(k1 + 1, n)
    if k2 > knn:
        raise ValueError(f'k2={k2} must not exceed k1+1={k1 + 1} (and N={n})')
    nn, row_max = _topk_neighbours(x, knn, block)
    k1_eff = knn - 1
    r_idx, r_mask = _k_reciprocal(nn, k1_eff)  # R(i, k1)
    h_idx, h_mask = _k_reciprocal(nn, min(k_half, k1_eff))  # R(i, k1/2)

    # candidate c in R(i, k1) is accepted when |R(c,k1/2) & R(i,k1)| >
    # 2/3 |R(c,k1/2)|
    ch_idx = h_idx[r_idx]  # [N, k1+1, k_half+1]
    ch_mask = h_mask[r_idx] & r_mask[:, :, None]
    in_r = ((ch_idx[..., None] == r_idx[:, None, None, :]) &
            r_mask[:, None, None, :]).any(-1) & ch_mask
    accept = in_r.sum(-1) > 2. / 3 * ch_mask.sum(-1)  # [N, k1+1]
    accept &= r_mask

    rows = np.concatenate([
        np.repeat(np.arange(n), r_idx.shape[1])[r_mask.ravel()],
        np.broadcast_to(np.arange(n)[:, None, None],
                        ch_idx.shape)[(ch_mask & accept[..., None])]
    ])
    cols = np.concatenate(
        [r_idx[r_mask], ch_idx[ch_mask & accept[..., None]]])
    # union: duplicates collapse to one entry
    pairs = np.unique(rows.astype(np.int64) * n + cols)
    rows, cols = pairs // n, pairs % n
    xt = torch.from_numpy(x)
    dots = (xt[rows] * xt[cols]).sum(1).numpy()
    sq = (x * x).sum(1)
    dist = np.maximum(sq[rows] + sq[cols] - 2 * dots, 0) / np.maximum(
        row_max[rows], 1e-12)
    weight = np.exp(-dist)
    weight /= np.bincount(rows, weights=weight, minlength=n)[rows]
    v = sp.csr_matrix((weight, (rows, cols)), shape=(n, n))

    if k2 != 1:  # local query expansion over the k2 nearest neighbours
        qe = sp.csr_matrix((np.full(n * k2, 1. / k2), (np.repeat(
            np.arange(n), k2), nn[:, :k2].ravel())),
                           shape=(n, n))
        v = (qe @ v).tocsr()

    # sum_k min(V_ik, V_jk) for all pairs that share a column k
    vc = v.tocsc()
    vc.sort_indices()
    counts = np.diff(vc.indptr)
    shared = sp.csr_matrix((n, n))
    # columns in chunks: each chunk's pairs are summed into a sparse matrix
    # at once, so the pair list never holds more than one chunk
    for c0 in range(0, n, 512):
        c1 = min(c0 + 512, n)
        lo, hi = vc.indptr[c0], vc.indptr[c1]
        r = vc.indices[lo:hi]
        val = vc.data[lo:hi]
        cnt = counts[c0:c1]
        seg = np.repeat(np.arange(c1 - c0), cnt)
        seg_start = vc.indptr[c0:c1] - lo
        # every ordered pair (a, b) of entries inside the same column
        rep = cnt[seg]
        a = np.repeat(np.arange(len(r)), rep)
        offs = np.arange(len(a)) - np.repeat(np.cumsum(rep) - rep, rep)
        b = seg_start[seg[a]] + offs
        shared = shared + sp.csr_matrix(
            (np.minimum(val[a], val[b]), (r[a], r[b])), shape=(n, n))
    shared = shared.tocsr()
    shared.sum_duplicates()
    jac = shared.copy()
    jac.data = np.maximum(1 - shared.data / (2 - shared.data), 0)
    return jac


def dbscan_eps_from_rho(jaccard: sp.csr_matrix, rho: float = 1.6e-3) -> float:
    """The authors' automatic DBSCAN radius: the mean of the smallest
    ``rho`` fraction of the non-zero pairwise distances (upper triangle),
    computed once at the first clustering.

    Pairs that are not stored in ``jaccard`` have distance 1 and count as
    non-zero distances, exactly as in the authors' dense matrix.
    """
    n = jaccard.shape[0]
    upper = sp.triu(jaccard, k=1).tocoo()
    stored_pos = np.sort(upper.data[upper.data > 0])
    num_nonzero = len(stored_pos) + (n * (n - 1) // 2 - upper.nnz)
    top_num = int(np.round(rho * num_nonzero))
    if top_num < 1:
        raise ValueError(f'rho={rho} selects no pair out of {num_nonzero} '
                         'non-zero distances; set eps explicitly')
    smallest = stored_pos[:top_num]
    pad = top_num - len(smallest)  # distance-1 pairs fill the rest
    return float((smallest.sum() + pad) / top_num)


def dbscan_jaccard(features,
                   eps: Optional[float] = None,
                   min_samples: int = 4,
                   k1: int = 20,
                   k2: int = 6,
                   rho: float = 1.6e-3) -> Tuple[np.ndarray, np.ndarray,
                                                 float]:
    """DBSCAN with the k-reciprocal Jaccard distance (MMT's second mode).

    Args:
        features (np.ndarray | Tensor): [N, D] features; they are
            L2-normalised here, as the authors do before re-ranking.
        eps (float, optional): DBSCAN radius. None computes it from ``rho``
            with :func:`dbscan_eps_from_rho` (the authors' rule).
        min_samples (int): DBSCAN ``min_samples`` (authors: 4).
        k1 (int): k-reciprocal neighbourhood size (authors'
            ``compute_jaccard_dist`` default, used by their MMT DBSCAN
            script: 20).
        k2 (int): Query expansion size (authors: 6).
        rho (float): Fraction used by the automatic ``eps``.

    Returns:
        tuple: ``labels`` [N] int64 (-1 = outlier, clusters 0..C-1),
        ``centroids`` [C, D] float32 (mean of each cluster's normalised
        features, not normalised) and the ``eps`` used.
    """
    from sklearn.cluster import DBSCAN
    x = l2_normalize(_as_float32(features))
    jac = k_reciprocal_jaccard(x, k1=k1, k2=k2)
    if eps is None:
        eps = dbscan_eps_from_rho(jac, rho)
    # a sparse precomputed matrix: pairs that are not stored are never
    # neighbours (their distance, 1, exceeds any useful eps)
    if eps >= 1:
        raise ValueError(f'eps={eps} must be < 1 for the sparse Jaccard '
                         'distance (pairs without shared support are at 1)')
    labels = DBSCAN(
        eps=eps, min_samples=min_samples,
        metric='precomputed').fit_predict(jac).astype(np.int64)
    return labels, cluster_means(x, labels), float(eps)


def cluster_means(features, labels: np.ndarray) -> np.ndarray:
    """Mean feature of every cluster 0..C-1 (label -1 ignored).

    Returns:
        np.ndarray: [C, D] float32 with C = labels.max() + 1 (0 rows when all
        samples are outliers).
    """
    x = _as_float32(features)
    labels = np.asarray(labels)
    num = int(labels.max()) + 1 if labels.size else 0
    if num <= 0:
        return np.zeros((0, x.shape[1]), np.float32)
    keep = labels >= 0
    sums = np.zeros((num, x.shape[1]), np.float64)
    np.add.at(sums, labels[keep], x[keep])
    counts = np.bincount(labels[keep], minlength=num)[:, None]
    return (sums / np.maximum(counts, 1)).astype(np.float32)
