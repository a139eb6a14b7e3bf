# Copyright (c) mmhier contributors. All rights reserved.
"""Taylor pruning of the MMT re-ID model itself (two peers, two mean nets)
under two-process gloo DDP, scheduled before the first clustering: the
importance pass needs the pseudo labels, so the step waits for the
clustering on both ranks, then both ranks prune alike and end with
identical models."""
import torch
from tiny_train_configs import MMT_TINY, mmt_taylor_pruning
from two_rank_training import (assert_ranks_agree, load_rank_models,
                               run_two_rank_train, write_two_rank_config)

NETS = ('peer1', 'peer2', 'mean1', 'mean2')


def test_two_rank_taylor_pruning_of_mmt_before_first_clustering(tmp_path):
    from mmhier.datasets.synthetic import generate
    generate(str(tmp_path / 'data'), seed=0, datasets=['reid_target'],
             num_reid_train_ids=8, num_reid_test_ids=4)
    root = str(tmp_path / 'data' / 'reid_target')
    # the pruning step is due in before_train, before the epoch-0 clustering
    # has made the pseudo labels the Taylor pass (the MMT loss) needs
    config = write_two_rank_config(
        tmp_path, 'ddp_taylor_mmt.py', MMT_TINY,
        mmt_taylor_pruning(root, max_epochs=2,
                           checkpoint='interval=2, save_best=None',
                           extra_hooks="dict(type='DumpRankModelHook'),"))
    work = tmp_path / 'work'
    out = run_two_rank_train(config, work, tmp_path, timeout=300)
    waited = out.index('PruningHook: step 1 is due')
    assert waited < out.index('ClusterPseudoLabelHook at epoch 0') < \
        out.index('PruningHook step 1/1 on peer1') < \
        out.index('ClusterPseudoLabelHook at epoch 1')
    rank0, rank1 = load_rank_models(work)
    for net in NETS:  # the peer is pruned, the other three follow
        assert rank0[f'{net}.backbone.layer1.0.conv1.weight'].shape[0] == 8
        assert rank0[f'{net}.head.bnneck.weight'].shape == (64, )
        assert rank0[f'{net}.head.classifier.weight'].shape == (6, 64)
    assert rank0['pseudo_labels'].numel() > 0
    # parameters (all-reduced for the peers, averaged from them for the
    # mean nets), pseudo labels and the chosen mean net agree; BN running
    # statistics are per rank (non-Sync BN)
    assert_ranks_agree(rank0, rank1)
    ckpt = torch.load(work / 'epoch_2.pth', weights_only=True)
    assert len(ckpt['meta']['pruning_history']['records']) == 1
