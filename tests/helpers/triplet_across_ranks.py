# Copyright (c) mmhier contributors. All rights reserved.
"""The two-rank worker of the cross-rank batch-hard mining test, in an
importable module: the test starts it with the ``spawn`` method (a fork
fails once an earlier test in the same pytest process has started
autograd's worker threads), and a spawned process imports the function by
its module name."""
import torch
import torch.distributed as dist

from mmhier.models.losses import (soft_softmax_triplet_loss,
                                  softmax_triplet_loss)

N, D = 11, 5
# rank 0 holds the first 6 samples, rank 1 the other 5 (unequal: padding);
# label -1 (an outlier of the clustering) takes no part
SPLIT = 6


def triplet_data():
    g = torch.Generator().manual_seed(0)
    feat = torch.randn(N, D, generator=g)
    teacher = torch.randn(N, D, generator=g)
    label = torch.tensor([0, 1, 2, 0, 1, -1, 2, 0, 1, 2, 1])
    weight = torch.rand(N, generator=g) + 0.5
    return feat, teacher, label, weight


def triplet_losses(feat, teacher, label, weight, across_ranks=True):
    return [
        softmax_triplet_loss(feat, label, across_ranks=across_ranks),
        soft_softmax_triplet_loss(
            feat, teacher, label, weight=weight, across_ranks=across_ranks),
    ]


def triplet_rank_worker(rank, store, out):
    dist.init_process_group('gloo', init_method=f'file://{store}',
                            rank=rank, world_size=2)
    try:
        feat, teacher, label, weight = triplet_data()
        part = slice(0, SPLIT) if rank == 0 else slice(SPLIT, N)
        results = []
        for k in range(2):
            f = feat[part].clone().requires_grad_(True)
            loss = triplet_losses(f, teacher[part], label[part],
                                  weight[part])[k]
            loss.backward()
            results.append((loss.detach(), f.grad.clone()))
        # the local variant mines within the rank's own share only
        local = triplet_losses(feat[part], teacher[part], label[part],
                               weight[part], across_ranks=False)[0]
        # no valid sample on any rank: an exact, connected zero whose
        # backward (the gather's collective) runs on every rank
        f = feat[part].clone().requires_grad_(True)
        empty = softmax_triplet_loss(f, torch.full_like(label[part], -1))
        empty.backward()
        torch.save(dict(results=results, local=local,
                        empty=(empty.detach(), f.grad.abs().sum())),
                   f'{out}/rank{rank}.pth')
    finally:
        dist.destroy_process_group()
