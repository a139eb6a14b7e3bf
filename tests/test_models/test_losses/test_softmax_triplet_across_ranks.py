# Copyright (c) mmhier contributors. All rights reserved.
"""Batch-hard mining across ranks: two gloo processes, each holding part of a
batch, compute what one process computes on the whole batch.

For the one-process loss L over all N valid anchors, rank r returns
L_r = (sum of its anchors' losses) * W / N. DDP averages gradients, i.e.
optimises (1/W) sum_r L_r = L; the gradient a rank receives for one of its
features through the gather's backward is sum_r dL_r/df = W * dL/df.
"""
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from mmhier.models.losses import (soft_softmax_triplet_loss,
                                  softmax_triplet_loss)

N, D = 11, 5
# rank 0 holds the first 6 samples, rank 1 the other 5 (unequal: padding);
# label -1 (an outlier of the clustering) takes no part
SPLIT = 6


def _data():
    g = torch.Generator().manual_seed(0)
    feat = torch.randn(N, D, generator=g)
    teacher = torch.randn(N, D, generator=g)
    label = torch.tensor([0, 1, 2, 0, 1, -1, 2, 0, 1, 2, 1])
    weight = torch.rand(N, generator=g) + 0.5
    return feat, teacher, label, weight


def _losses(feat, teacher, label, weight, across_ranks=True):
    return [
        softmax_triplet_loss(feat, label, across_ranks=across_ranks),
        soft_softmax_triplet_loss(
            feat, teacher, label, weight=weight, across_ranks=across_ranks),
    ]


def _worker(rank, store, out):
    dist.init_process_group('gloo', init_method=f'file://{store}',
                            rank=rank, world_size=2)
    try:
        feat, teacher, label, weight = _data()
        part = slice(0, SPLIT) if rank == 0 else slice(SPLIT, N)
        results = []
        for k in range(2):
            f = feat[part].clone().requires_grad_(True)
            loss = _losses(f, teacher[part], label[part], weight[part])[k]
            loss.backward()
            results.append((loss.detach(), f.grad.clone()))
        # the local variant mines within the rank's own share only
        local = _losses(feat[part], teacher[part], label[part],
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


def test_two_ranks_equal_one_process(tmp_path):
    # fork: pytest's importlib mode leaves this module unimportable by name
    mp.start_processes(
        _worker, args=(str(tmp_path / 'store'), str(tmp_path)), nprocs=2,
        join=True, start_method='fork')
    ranks = [torch.load(tmp_path / f'rank{r}.pth', weights_only=True)
             for r in range(2)]
    feat, teacher, label, weight = _data()
    for k in range(2):
        f = feat.clone().requires_grad_(True)
        ref = _losses(f, teacher, label, weight)[k]
        ref.backward()
        mean_of_ranks = (ranks[0]['results'][k][0] +
                         ranks[1]['results'][k][0]) / 2
        torch.testing.assert_close(mean_of_ranks, ref.detach())
        grad = torch.cat([ranks[0]['results'][k][1],
                          ranks[1]['results'][k][1]])
        torch.testing.assert_close(grad / 2, f.grad)
        assert f.grad.abs().sum() > 0
    # mining within each rank's share is a different loss (the check above
    # could fail): rank 0's local triplets differ from its global ones
    ref0 = softmax_triplet_loss(feat[:SPLIT], label[:SPLIT])
    torch.testing.assert_close(ranks[0]['local'], ref0)
    assert not torch.allclose(ranks[0]['local'],
                              ranks[0]['results'][0][0])
    for r in ranks:
        assert r['empty'][0].item() == 0 and r['empty'][1].item() == 0
