# Copyright (c) mmhier contributors. All rights reserved.
"""Batch-hard mining across ranks: two gloo processes, each holding part of a
batch, compute what one process computes on the whole batch.

For the one-process loss L over all N valid anchors, rank r returns
L_r = (sum of its anchors' losses) * W / N. DDP averages gradients, i.e.
optimises (1/W) sum_r L_r = L; the gradient a rank receives for one of its
features through the gather's backward is sum_r dL_r/df = W * dL/df.
"""
import torch
import torch.multiprocessing as mp
from triplet_across_ranks import (SPLIT, triplet_data, triplet_losses,
                                  triplet_rank_worker)

from mmhier.models.losses import softmax_triplet_loss


def test_two_ranks_equal_one_process(tmp_path):
    # spawn, not fork: a fork fails once an earlier test in this process
    # has started autograd's worker threads
    mp.start_processes(
        triplet_rank_worker, args=(str(tmp_path / 'store'), str(tmp_path)),
        nprocs=2, join=True, start_method='spawn')
    ranks = [torch.load(tmp_path / f'rank{r}.pth', weights_only=True)
             for r in range(2)]
    feat, teacher, label, weight = triplet_data()
    for k in range(2):
        f = feat.clone().requires_grad_(True)
        ref = triplet_losses(f, teacher, label, weight)[k]
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
