# Copyright (c) mmhier contributors. All rights reserved.
"""Two-process gloo DDP: rank 0 decides the pruning plan, both ranks apply
it and keep training; the two ranks end with identical models."""
import torch
from tiny_train_configs import FCN_TINY, fcn_two_iters
from two_rank_training import (assert_ranks_agree, load_rank_models,
                               run_two_rank_train, write_two_rank_config)


def test_two_rank_pruning_gives_identical_models(tmp_path):
    from mmhier.datasets.synthetic import generate
    generate(str(tmp_path / 'data'), seed=0, num_train=4, num_val=1,
             datasets=['cityscapes'])
    root = str(tmp_path / 'data' / 'cityscapes')
    config = write_two_rank_config(
        tmp_path, 'ddp_cfg.py', FCN_TINY,
        fcn_two_iters(root, scheduler_end=2) + """\
# Taylor importance depends on the batch, and the ranks see different
# batches: only a broadcast plan keeps them identical.
custom_hooks = [dict(type='PruningHook', ratio=0.5, importance='taylor'),
                dict(type='DumpRankModelHook')]
""")
    work = tmp_path / 'work'
    out = run_two_rank_train(config, work, tmp_path)
    assert 'PruningHook step 1/1' in out
    rank0, rank1 = load_rank_models(work)
    assert rank0['backbone.layer1.0.conv1.weight'].shape[0] == 8
    # parameters are all-reduced; BN running statistics may differ
    assert_ranks_agree(rank0, rank1)
    ckpt = torch.load(work / 'iter_2.pth', weights_only=True)
    assert len(ckpt['meta']['pruning_history']['records']) == 1
