# Copyright (c) mmhier contributors. All rights reserved.
"""Taylor pruning under two-process gloo DDP of a re-ID model whose
triplet loss gathers every rank's features (``across_ranks=True``): every
rank runs the importance pass (a rank alone in the loss's collectives
would wait forever), rank 0 decides, both ranks end identical."""
import os.path as osp

from tool_runs import REPO
from two_rank_training import (assert_ranks_agree, load_rank_models,
                               run_two_rank_train, write_two_rank_config)

CONFIG = osp.join(REPO, 'configs', 'mmt',
                  'reid_r18-tiny_1xb32-5e_synthetic-source-64x32.py')


def test_two_rank_taylor_pruning_of_reid_model(tmp_path):
    from mmhier.datasets.synthetic import generate
    generate(str(tmp_path / 'data'), seed=0, datasets=['reid_source'],
             num_reid_train_ids=8, num_reid_test_ids=6)
    root = str(tmp_path / 'data' / 'reid_source')
    config = write_two_rank_config(tmp_path, 'ddp_taylor_reid.py', CONFIG,
                                   f"""\
model = dict(head=dict(num_classes=8))
train_dataloader = dict(
    batch_size=8, num_workers=0, persistent_workers=False,
    sampler=dict(batch_size=8, iters_per_epoch=2),
    dataset=dict(data_root={root!r}))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root={root!r}))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=5)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True,
                        begin=0, end=1)]
default_hooks = dict(checkpoint=dict(interval=1, save_best=None),
                     logger=dict(interval=1))
custom_hooks = [dict(type='PruningHook', ratio=0.5, importance='taylor',
                     layers=[r'^backbone\\.']),
                dict(type='DumpRankModelHook')]
""")
    work = tmp_path / 'work'
    out = run_two_rank_train(config, work, tmp_path, timeout=240)
    assert 'PruningHook step 1/1' in out
    rank0, rank1 = load_rank_models(work)
    # half of the first stage's channels (16 -> 8), the head follows
    assert rank0['backbone.layer1.0.conv1.weight'].shape[0] == 8
    width = rank0['head.bnneck.weight'].shape[0]
    assert width < 128
    assert rank0['head.classifier.weight'].shape == (8, width)
    assert_ranks_agree(rank0, rank1)
