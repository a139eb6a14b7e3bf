# Copyright (c) mmhier contributors. All rights reserved.
"""mAP and CMC for person re-ID with the standard query/gallery protocol.

mmdet's ``ReIDMetrics`` ranks every sample against all others without camera
information, and mmpretrain's retrieval metrics have no notion of cameras
either; the re-ID protocol (Zheng et al., ICCV 2015; the MMT authors'
``mean_ap``/``cmc`` with the 'market1501' setting) needs, for every query,
the gallery items of the *same identity seen by the same camera* removed
before ranking. Hence this metric.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmhier.registry import METRICS


def reid_rank_metrics(query_feat: torch.Tensor,
                      query_pid: torch.Tensor,
                      query_cam: torch.Tensor,
                      gallery_feat: torch.Tensor,
                      gallery_pid: torch.Tensor,
                      gallery_cam: torch.Tensor,
                      topk: Sequence[int] = (1, 5, 10),
                      chunk_size: int = 1024,
                      junk_pid: int = -1) -> Tuple[float, Dict[int, float],
                                                   int]:
    r"""Mean average precision and CMC (first-match) over the valid queries.

    Features are L2-normalised and ranked by Euclidean distance (equivalent
    to cosine similarity). For query ``q`` the gallery items with
    ``pid == pid_q and cam == cam_q`` and the junk items (``pid == junk_pid``)
    are removed; over the remaining ranked list with relevance
    :math:`r_k \in \{0, 1\}` (same pid) and :math:`R = \sum_k r_k`

    .. math::
        AP_q = \frac{1}{R}\sum_{k} r_k \frac{\sum_{j \le k} r_j}{k}, \qquad
        \mathrm{CMC}_q@n = \mathbb{1}[\text{first match at rank} \le n]

    Queries with :math:`R = 0` are skipped, as in the standard protocol.
    The body is vectorised; queries are processed in chunks to bound memory
    (a Q x G distance matrix per chunk).

    Returns:
        tuple: ``(mAP, {n: CMC@n}, num_valid_queries)``, fractions in [0, 1].
    """
    query_feat = F.normalize(query_feat.float(), dim=1)
    gallery_feat = F.normalize(gallery_feat.float(), dim=1)
    ap_sum = 0.0
    cmc_hits = {k: 0 for k in topk}
    num_valid = 0
    for start in range(0, query_feat.shape[0], chunk_size):
        q = slice(start, start + chunk_size)
        dist = torch.cdist(query_feat[q], gallery_feat)
        order = torch.argsort(dist, dim=1, stable=True)
        g_pid, g_cam = gallery_pid[order], gallery_cam[order]
        same_pid = g_pid == query_pid[q, None]
        keep = ~(same_pid & (g_cam == query_cam[q, None])) & (
            g_pid != junk_pid)
        match = same_pid & keep
        rank = keep.cumsum(dim=1)  # 1-based rank among kept items
        hits = match.cumsum(dim=1)
        num_rel = match.sum(dim=1)
        valid = num_rel > 0
        precision = hits.double() / rank.clamp(min=1).double()
        ap = (precision * match).sum(dim=1) / num_rel.clamp(min=1)
        ap_sum += ap[valid].sum().item()
        # rank of the first match; G + 1 when there is none
        first = torch.where(match, rank,
                            torch.full_like(rank, rank.shape[1] + 1)).min(1)
        first_rank = first.values[valid]
        for k in topk:
            cmc_hits[k] += int((first_rank <= k).sum())
        num_valid += int(valid.sum())
    if num_valid == 0:
        raise ValueError('ReIDMetric: no query has a valid match in the '
                         'gallery (same pid on another camera)')
    return (ap_sum / num_valid, {k: v / num_valid
                                 for k, v in cmc_hits.items()}, num_valid)


@METRICS.register_module()
class ReIDMetric(BaseMetric):
    """Re-ID mAP and CMC top-k on a query/gallery test split.

    Reads from every data sample ``pred_feat`` (set by
    :class:`mmhier.models.ReIDModel` in ``predict``) and the metainfo
    ``pid``, ``camid`` and ``is_query`` (set by the re-ID datasets and packed
    by ``mmpretrain.PackInputs(meta_keys=...)``). The samples may arrive in
    any order and from any number of ranks.

    Args:
        topk (Sequence[int]): CMC ranks to report. Defaults to (1, 5, 10).
        chunk_size (int): Queries per vectorised chunk. Defaults to 1024.
        collect_device (str): 'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to 'reid'.

    Returns (from ``evaluate``): ``{prefix}/mAP`` and ``{prefix}/top{k}`` in
    percent.
    """

    default_prefix: Optional[str] = 'reid'

    def __init__(self,
                 topk: Sequence[int] = (1, 5, 10),
                 chunk_size: int = 1024,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not topk or min(topk) < 1:
            raise ValueError(f'topk must be positive ranks, got {topk}')
        self.topk = tuple(topk)
        self.chunk_size = chunk_size

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Keep feature, pid, camid and the query flag of every sample."""
        for ds in data_samples:
            get = ds.get
            missing = [
                k for k in ('pred_feat', 'pid', 'camid', 'is_query')
                if get(k, None) is None
            ]
            if missing:
                raise KeyError(
                    f'ReIDMetric: data sample {get("img_path", "?")!r} lacks '
                    f'{missing}; the test pipeline must end with '
                    "mmpretrain.PackInputs(meta_keys=(..., 'pid', 'camid', "
                    "'is_query')) and the model must set pred_feat")
            self.results.append(
                dict(
                    feat=get('pred_feat').detach().cpu().float(),
                    pid=int(get('pid')),
                    camid=int(get('camid')),
                    is_query=bool(get('is_query'))))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Split into query/gallery and compute mAP and CMC."""
        feat = torch.stack([r['feat'] for r in results])
        pid = torch.tensor([r['pid'] for r in results])
        cam = torch.tensor([r['camid'] for r in results])
        is_query = torch.tensor([r['is_query'] for r in results])
        if not is_query.any():
            raise ValueError('ReIDMetric: the evaluated split has no query '
                             'image (use the dataset with split="test")')
        if is_query.all():
            raise ValueError('ReIDMetric: the evaluated split has no gallery '
                             'image (use the dataset with split="test")')
        g = ~is_query
        mean_ap, cmc, num_valid = reid_rank_metrics(
            feat[is_query], pid[is_query], cam[is_query], feat[g], pid[g],
            cam[g], self.topk, self.chunk_size)
        MMLogger.get_current_instance().info(
            f'ReIDMetric: {num_valid} of {int(is_query.sum())} queries have '
            f'a valid match among {int(g.sum())} gallery images')
        metrics = {'mAP': mean_ap * 100.0}
        metrics.update({f'top{k}': v * 100.0 for k, v in cmc.items()})
        return metrics
