# Copyright (c) mmhier contributors. All rights reserved.
import copy
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.dist import (broadcast, broadcast_object_list, collect_results,
                           get_dist_info, is_main_process)
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop

from mmhier.models.uda.clustering import (dbscan_jaccard, kmeans,
                                          l2_normalize)
from mmhier.registry import HOOKS
from mmhier.utils import unwrap_model
from ..param_replacement import param_index, sync_after_param_replacement


@HOOKS.register_module()
class ClusterPseudoLabelHook(Hook):
    """Off-line refinement of the hard pseudo labels of MMT.

    Before every training epoch (``by_epoch=True``; or every ``interval``
    iterations for iter-based loops, e.g. the authors' 400-iteration
    "epoch"), as in the authors' ``mmt_train_{kmeans,dbscan}.py``:

    1. extract the features of the target train set with BOTH mean nets
       (test pipeline, eval mode) and average them
       (``model.cluster_features``); every rank takes its share of the
       dataloader, results are gathered on rank 0 in ``sample_idx`` order;
    2. cluster on rank 0: k-means into ``num_clusters`` (M_t = 500; faiss,
       scikit-learn fallback) or DBSCAN on the k-reciprocal Jaccard distance
       (outliers -1);
    3. broadcast labels and L2-normalised centroids to all ranks;
    4. write the model's ``pseudo_labels`` buffer, call
       ``train_dataloader.sampler.set_labels(labels)`` when the sampler has
       it, re-initialise the classifiers of all four nets from the
       centroids (``model.reset_classifiers``) and reset the optimizer: its
       state is cleared (the authors build a new Adam every epoch) and its
       param groups are re-pointed at the re-created classifier parameters.

    With ``by_epoch=False`` the hook runs in ``before_train_iter``, after
    the loop has already fetched that iteration's batch (and the workers
    have prefetched a few more) with the previous sampler plan: those
    batches get the new labels from the model buffer but were composed
    under the old ones. ``EpochBasedTrainLoop`` with the sampler's
    ``iters_per_epoch`` (the shipped configs) has no such lag.

    Fewer than 2 clusters raise a RuntimeError (training must not continue
    on such labels); more than ``max_outlier_ratio`` outliers give a
    warning.

    Resuming: the labels live in the model buffer (saved in checkpoints).
    ``after_load_checkpoint`` resizes the classifiers to the checkpoint's
    number of clusters before the weights and the optimizer state are
    loaded, and ``before_train`` pushes the restored labels into the
    sampler, so a resumed run does not re-cluster until the next scheduled
    clustering. DBSCAN's automatic ``eps`` (chosen at the first clustering,
    as the authors do) is saved in the checkpoint's ``meta``.

    Args:
        dataloader (dict): Dataloader config over the target TRAIN set with
            the test pipeline (no augmentation), ``shuffle=False``.
        mode (str): ``'kmeans'`` or ``'dbscan'``.
        num_clusters (int): k-means' M_t. Defaults to 500.
        backend (str): k-means backend, ``'auto'|'faiss'|'sklearn'``.
        kmeans_iters (int): k-means iterations. Defaults to 300.
        kmeans_n_init (int): k-means restarts. Defaults to 1.
        kmeans_init (str, optional): ``'random'`` or ``'k-means++'``; None
            keeps the backend's default (faiss: random, scikit-learn:
            k-means++, whose initialisation dominates its run time for
            500 clusters, see tools/benchmarks/benchmark_kmeans.py).
        eps (float, optional): DBSCAN radius; None = the authors' automatic
            choice from ``rho`` at the first clustering.
        rho (float): Fraction of smallest distances for the automatic eps.
            Defaults to 1.6e-3 (authors).
        min_samples (int): DBSCAN ``min_samples``. Defaults to 4 (authors).
        k1 (int): k-reciprocal neighbourhood. Defaults to 20 (authors).
        k2 (int): query expansion. Defaults to 6 (authors).
        by_epoch (bool): Cluster before every ``interval``-th epoch (True) or
            every ``interval`` iterations (False). Defaults to True.
        interval (int): See ``by_epoch``. Defaults to 1.
        seed (int): Seed of k-means. Defaults to 1 (authors).
        max_outlier_ratio (float): Warn when more samples are outliers.
        collect_device (str): ``'cpu'`` or ``'gpu'``, passed to
            ``mmengine.dist.collect_results``.
    """

    priority = 'NORMAL'

    def __init__(self,
                 dataloader: dict,
                 mode: str = 'kmeans',
                 num_clusters: int = 500,
                 backend: str = 'auto',
                 kmeans_iters: int = 300,
                 kmeans_n_init: int = 1,
                 kmeans_init: Optional[str] = None,
                 eps: Optional[float] = None,
                 rho: float = 1.6e-3,
                 min_samples: int = 4,
                 k1: int = 20,
                 k2: int = 6,
                 by_epoch: bool = True,
                 interval: int = 1,
                 seed: int = 1,
                 max_outlier_ratio: float = 0.5,
                 collect_device: str = 'cpu') -> None:
        if mode not in ('kmeans', 'dbscan'):
            raise ValueError(
                f"mode must be 'kmeans' or 'dbscan', got {mode!r}")
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.dataloader_cfg = dataloader
        self.mode = mode
        self.num_clusters = num_clusters
        self.backend = backend
        self.kmeans_iters = kmeans_iters
        self.kmeans_n_init = kmeans_n_init
        self.kmeans_init = kmeans_init
        self.eps = eps
        self.rho = rho
        self.min_samples = min_samples
        self.k1 = k1
        self.k2 = k2
        self.by_epoch = by_epoch
        self.interval = interval
        self.seed = seed
        self.max_outlier_ratio = max_outlier_ratio
        self.collect_device = collect_device
        self._dataloader = None
        self._auto_eps: Optional[float] = None

    # ------------------------------------------------------------------
    # hook points
    # ------------------------------------------------------------------
    def before_train(self, runner) -> None:
        """Check the model and the loop, and push restored pseudo labels
        (resume) into the sampler."""
        if self.by_epoch and isinstance(
                getattr(runner, 'train_loop', None), IterBasedTrainLoop):
            raise ValueError(
                'ClusterPseudoLabelHook(by_epoch=True) with an '
                'IterBasedTrainLoop would cluster only once; use '
                'by_epoch=False, interval=<iterations per epoch, e.g. 400>')
        model = unwrap_model(runner.model)
        for attr in ('pseudo_labels', 'set_pseudo_labels',
                     'reset_classifiers', 'cluster_features'):
            if not hasattr(model, attr):
                raise AttributeError(
                    f'ClusterPseudoLabelHook: {type(model).__name__} has no '
                    f'{attr!r}; use it with the MMT model')
        if model.pseudo_labels.numel() > 0:
            self._push_to_sampler(runner,
                                  model.pseudo_labels.cpu().numpy())

    def before_train_epoch(self, runner) -> None:
        if self.by_epoch and runner.epoch % self.interval == 0:
            self.cluster(runner)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        if not self.by_epoch and runner.iter % self.interval == 0:
            self.cluster(runner)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._auto_eps is not None:
            checkpoint.setdefault('meta', {})['cluster_eps'] = self._auto_eps

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Resize the classifiers to the checkpoint's cluster count before
        its weights (and, on resume, the optimizer state) are loaded."""
        self._auto_eps = checkpoint.get('meta', {}).get(
            'cluster_eps', self._auto_eps)
        model = unwrap_model(runner.model)
        if not hasattr(model, 'adapt_to_state_dict'):
            return
        state = checkpoint.get('state_dict', checkpoint)
        state = {
            k[len('module.'):] if k.startswith('module.') else k: v
            for k, v in state.items()
        }
        old_index = param_index(model)
        if model.adapt_to_state_dict(state):
            # the classifiers were re-created: the optimizer forgets its state
            # and takes them; a DDP wrapper is rebuilt around them
            sync_after_param_replacement(
                runner, optimizer='repoint', old_index=old_index)

    # ------------------------------------------------------------------
    # the clustering step
    # ------------------------------------------------------------------
    def cluster(self, runner) -> Tuple[np.ndarray, np.ndarray]:
        """Extract, cluster, broadcast and apply new pseudo labels."""
        model = unwrap_model(runner.model)
        _, world_size = get_dist_info()
        if world_size > 1:
            # DDP broadcasts rank 0's buffers at the start of every forward;
            # each rank then updates its BN statistics with its own batch
            # (and the mean nets average them in). Between the last forward
            # and this extraction the ranks' buffers therefore differ, and
            # a resumed run starts from rank 0's (the checkpoint's).
            # Extract with rank 0's so both cluster the same features.
            for buffer in model.buffers():
                broadcast(buffer, src=0)
        feats = self._extract(runner, model)
        result = [None, None, None]
        if is_main_process():
            result = list(self._run_clustering(feats))
        broadcast_object_list(result, src=0)
        labels, centroids, eps = result
        if self.mode == 'dbscan' and self.eps is None:
            self._auto_eps = eps
        when = (f'epoch {runner.epoch}'
                if self.by_epoch else f'iteration {runner.iter}')
        num_clusters = len(centroids)
        num_outliers = int((labels < 0).sum())
        if num_clusters < 2:
            raise RuntimeError(
                f'ClusterPseudoLabelHook ({self.mode}) at {when} found '
                f'{num_clusters} cluster(s) in {len(labels)} target samples '
                f'({num_outliers} outliers); at least 2 are needed, training '
                'stops instead of learning from such pseudo labels. Check '
                'the features or the clustering parameters (eps, '
                'min_samples, num_clusters).')
        if num_outliers > self.max_outlier_ratio * len(labels):
            print_log(
                f'ClusterPseudoLabelHook at {when}: {num_outliers} of '
                f'{len(labels)} target samples are outliers (label -1) and '
                'are not used for training', 'current', level=30)
        print_log(
            f'ClusterPseudoLabelHook at {when}: {num_clusters} clusters, '
            f'{num_outliers} outliers', 'current')
        self.apply(runner, labels, centroids)
        return labels, centroids

    def apply(self, runner, labels: np.ndarray,
              centroids: np.ndarray) -> None:
        """Write the labels, re-init the classifiers, reset the optimizer,
        relabel the sampler."""
        model = unwrap_model(runner.model)
        old_index = param_index(model)
        device = model.pseudo_labels.device
        model.set_pseudo_labels(torch.from_numpy(labels).to(device))
        model.reset_classifiers(
            torch.from_numpy(l2_normalize(centroids)).to(device))
        sync_after_param_replacement(
            runner, optimizer='repoint', old_index=old_index)
        self._push_to_sampler(runner, labels)

    def _extract(self, runner, model: nn.Module) -> Optional[np.ndarray]:
        """Mean-net features of the whole target train set on rank 0 (None
        on the other ranks), in ``sample_idx`` order."""
        if self._dataloader is None:
            self._dataloader = runner.build_dataloader(
                copy.deepcopy(self.dataloader_cfg), seed=runner.seed)
        dataloader = self._dataloader
        size = len(dataloader.dataset)
        results = []
        for data in dataloader:
            data = model.data_preprocessor(data, False)
            inputs = data['inputs']
            if not isinstance(inputs, torch.Tensor):
                raise TypeError(
                    'ClusterPseudoLabelHook: the cluster dataloader must give '
                    'one batched tensor (test pipeline without MultiView, '
                    "collate_fn=dict(type='default_collate')), got "
                    f'{type(inputs).__name__}')
            feats = model.cluster_features(inputs).cpu()
            for sample, feat in zip(data['data_samples'], feats):
                results.append((int(sample.sample_idx), feat.numpy()))
        _, world_size = get_dist_info()
        if world_size > 1:
            results = collect_results(results, size, self.collect_device)
        if not is_main_process():
            return None
        feats = np.zeros((size, results[0][1].shape[0]), np.float32)
        seen = np.zeros(size, bool)
        for idx, feat in results:
            feats[idx] = feat
            seen[idx] = True
        if not seen.all():
            missing = np.flatnonzero(~seen)[:5].tolist()
            raise RuntimeError(
                f'ClusterPseudoLabelHook: no feature for samples {missing} '
                f'(of {size}); the cluster dataloader must cover the whole '
                'target train set once (shuffle=False, no drop_last)')
        return feats

    def _run_clustering(self, feats: np.ndarray):
        if self.mode == 'kmeans':
            labels, centroids = kmeans(
                feats,
                self.num_clusters,
                seed=self.seed,
                backend=self.backend,
                max_iter=self.kmeans_iters,
                n_init=self.kmeans_n_init,
                init=self.kmeans_init)
            return labels, centroids, None
        eps = self.eps if self.eps is not None else self._auto_eps
        return dbscan_jaccard(
            feats,
            eps=eps,
            min_samples=self.min_samples,
            k1=self.k1,
            k2=self.k2,
            rho=self.rho)

    @staticmethod
    def _push_to_sampler(runner, labels: np.ndarray) -> None:
        sampler = getattr(runner.train_dataloader, 'sampler', None)
        if sampler is not None and hasattr(sampler, 'set_labels'):
            sampler.set_labels(np.asarray(labels))
