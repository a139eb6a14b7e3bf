# Copyright (c) mmhier contributors. All rights reserved.
"""Benchmark MMT's per-epoch k-means: faiss vs scikit-learn in one run.

MMT clusters the target train set before every epoch: Market-1501 has
12,936 training images, ResNet-50 features are 2048-D, M_t = 500 clusters.
This script draws random-but-clustered float32 features of that size
(``--num-centres`` Gaussian blobs on the unit sphere, L2-normalised like the
mean nets' features), runs both backends through
:func:`mmhier.models.uda.clustering.kmeans` with the SAME number of Lloyd
iterations and one initialisation (scikit-learn's early stop is disabled
with ``tol=0`` so that both do exactly ``--iters`` iterations), and prints
the seconds (``--repeats`` runs of the backends in turn, so that all see the
same load: wall-clock and process CPU time as min / median / max), the ratio
of medians, the share of a training epoch that clustering costs for the
given epoch time, and the load verdict before and after the run.

Example::

    OMP_NUM_THREADS=2 python tools/benchmarks/benchmark_kmeans.py
    python tools/benchmarks/benchmark_kmeans.py --iters 20 --epoch-seconds 300
"""
import argparse
import os
from functools import partial

import numpy as np

from timing import LoadCheck, format_row, ratio_of_medians, time_alternately


def parse_args():
    parser = argparse.ArgumentParser(
        description='k-means of MMT features: faiss vs scikit-learn')
    parser.add_argument('--num-samples', type=int, default=12936,
                        help='Market-1501 train images (default 12936)')
    parser.add_argument('--dim', type=int, default=2048,
                        help='feature dimension (ResNet-50: 2048)')
    parser.add_argument('--num-clusters', type=int, default=500,
                        help='M_t (default 500)')
    parser.add_argument('--num-centres', type=int, default=751,
                        help='blobs in the synthetic features (Market-1501 '
                        'has 751 training identities)')
    parser.add_argument('--noise', type=float, default=0.5,
                        help='blob spread relative to the centre norm')
    parser.add_argument('--iters', type=int, default=20,
                        help='Lloyd iterations for BOTH backends (faiss '
                        'default 25, scikit-learn max 300; 20 keeps '
                        'scikit-learn to a few minutes on 2 cores)')
    parser.add_argument('--init', default='random',
                        choices=['random', 'k-means++'],
                        help='centroid initialisation for BOTH backends '
                        '(random: faiss default; k-means++: scikit-learn '
                        'default, what the authors used)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--repeats', type=int, default=3,
                        help='timed runs of every backend, in turn')
    parser.add_argument('--backends', nargs='+', default=['faiss', 'sklearn'],
                        choices=['faiss', 'sklearn'])
    parser.add_argument(
        '--epoch-seconds', type=float, default=None,
        help='duration of one MMT training epoch (400 iterations of 2 peers '
        '+ 2 mean nets at batch 64) to compare with; if omitted, an assumed '
        'value is used and printed')
    return parser.parse_args()


def clustered_features(n, dim, num_centres, noise, seed):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((num_centres, dim), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = rng.integers(0, num_centres, n)
    feats = centres[labels] + noise / np.sqrt(dim) * rng.standard_normal(
        (n, dim), dtype=np.float32)
    feats /= np.linalg.norm(feats, axis=1, keepdims=True)
    return np.ascontiguousarray(feats, dtype=np.float32)


def main():
    args = parse_args()
    from mmhier.models.uda.clustering import kmeans

    feats = clustered_features(args.num_samples, args.dim, args.num_centres,
                               args.noise, args.seed)
    threads = os.environ.get('OMP_NUM_THREADS', 'unset')
    print(f'features: {feats.shape[0]} x {feats.shape[1]} float32, '
          f'{args.num_centres} blobs; k={args.num_clusters}; '
          f'{args.iters} Lloyd iterations and 1 {args.init} init for every '
          'backend '
          f'(scikit-learn tol=0: no early stop); OMP_NUM_THREADS={threads}, '
          f'{os.cpu_count()} CPUs visible; {args.repeats} runs per backend, '
          'in turn (s: min/median/max)')
    load = LoadCheck(threads=int(os.environ.get('OMP_NUM_THREADS', 0))
                     or os.cpu_count())
    print(load.before())
    runs = time_alternately([
        partial(kmeans, feats, args.num_clusters, seed=args.seed,
                backend=backend, max_iter=args.iters, n_init=1, tol=0.0,
                init=args.init) for backend in args.backends
    ], args.repeats)
    timings = dict(zip(args.backends, runs))
    for backend, t in timings.items():
        labels, centroids = t.output  # of the last run
        inertia = float(((feats - centroids[labels])**2).sum(1).mean())
        print(format_row(backend, t, unit='s', width=8) +
              f'  (mean squared distance to centroid {inertia:.4f}, '
              f'{len(np.unique(labels))} non-empty clusters)')
    if 'faiss' in timings and 'sklearn' in timings:
        ratio, cpu_ratio = (ratio_of_medians(timings['sklearn'],
                                             timings['faiss'], kind)
                            for kind in ('wall', 'cpu'))
        print(f'ratio sklearn / faiss: {ratio:.1f}x (cpu {cpu_ratio:.1f}x)')
    if args.epoch_seconds is None:
        # Assumption, not a measurement: one MMT epoch = 400 iterations at
        # ~0.5 s each on one V100-class GPU (two ResNet-50 peers forward +
        # backward and two mean nets forward on 2 x 64 images of 256x128).
        epoch = 400 * 0.5
        print(f'epoch time ASSUMED: {epoch:.0f} s (400 iterations x 0.5 s; '
              'pass --epoch-seconds with a measured value)')
    else:
        epoch = args.epoch_seconds
        print(f'epoch time given: {epoch:.0f} s')
    for backend, t in timings.items():
        sec = t.median()
        print(f'{backend:8s}: clustering costs {sec / (sec + epoch):.1%} of '
              f'an epoch (clustering + {epoch:.0f} s of training)')
    print(load.after())


if __name__ == '__main__':
    main()
