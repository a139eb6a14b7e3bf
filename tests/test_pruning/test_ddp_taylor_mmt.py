# Copyright (c) mmhier contributors. All rights reserved.
"""Taylor pruning of the MMT re-ID model itself (two peers, two mean nets)
under two-process gloo DDP, scheduled before the first clustering: the
importance pass needs the pseudo labels, so the step waits for the
clustering on both ranks, then both ranks prune alike and end with
identical models."""
import os.path as osp

import torch

from .test_ddp_pruning import DUMP_HOOK, REPO, run_two_rank_train

CONFIG = osp.join(REPO, 'configs', 'mmt',
                  'mmt_r18-tiny_1xb16-8e_synthetic-source2target-64x32.py')
NETS = ('peer1', 'peer2', 'mean1', 'mean2')


def test_two_rank_taylor_pruning_of_mmt_before_first_clustering(tmp_path):
    from mmhier.datasets.synthetic import generate
    generate(str(tmp_path / 'data'), seed=0, datasets=['reid_target'],
             num_reid_train_ids=8, num_reid_test_ids=4)
    root = str(tmp_path / 'data' / 'reid_target')
    (tmp_path / 'dump_rank_model_hook.py').write_text(DUMP_HOOK)
    config = tmp_path / 'ddp_taylor_mmt.py'
    config.write_text(f"""
_base_ = [{CONFIG!r}]
custom_imports = dict(imports=['mmhier', 'dump_rank_model_hook'],
                      allow_failed_imports=False)
model = dict(peer_init=None, model=dict(head=dict(num_classes=6)))
train_dataloader = dict(
    num_workers=0, persistent_workers=False,
    sampler=dict(iters_per_epoch=2), dataset=dict(data_root={root!r}))
val_dataloader = dict(dataset=dict(data_root={root!r}))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=2, val_interval=10)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=2, save_best=None))
cluster_dataloader = dict(
    batch_size=64, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='Market1501Dataset', data_root={root!r},
                 num_cameras=8, split='train',
                 pipeline={{{{_base_.test_pipeline}}}}))
custom_hooks = [
    dict(type='ClusterPseudoLabelHook', dataloader=cluster_dataloader,
         mode='kmeans', num_clusters=6, seed=1),
    dict(type='MeanNetHook', alpha=0.999),
    # due in before_train, before the epoch-0 clustering has made the
    # pseudo labels the Taylor pass (the MMT loss) needs
    dict(type='PruningHook', ratio=0.5, importance='taylor',
         layers=[r'^backbone\\.'], module='peer1',
         replicate_to=['peer2', 'mean1', 'mean2']),
    dict(type='DumpRankModelHook'),
]
""")
    work = tmp_path / 'work'
    out = run_two_rank_train(config, work, tmp_path, timeout=300)
    waited = out.index('PruningHook: step 1 is due')
    assert waited < out.index('ClusterPseudoLabelHook at epoch 0') < \
        out.index('PruningHook step 1/1 on peer1') < \
        out.index('ClusterPseudoLabelHook at epoch 1')
    rank0 = torch.load(work / 'rank0.pth', weights_only=True)
    rank1 = torch.load(work / 'rank1.pth', weights_only=True)
    for net in NETS:  # the peer is pruned, the other three follow
        assert rank0[f'{net}.backbone.layer1.0.conv1.weight'].shape[0] == 8
        assert rank0[f'{net}.head.bnneck.weight'].shape == (64, )
        assert rank0[f'{net}.head.classifier.weight'].shape == (6, 64)
    assert [(k, v.shape) for k, v in rank0.items()] == \
        [(k, v.shape) for k, v in rank1.items()]
    assert rank0['pseudo_labels'].numel() > 0
    # parameters (all-reduced for the peers, averaged from them for the
    # mean nets), pseudo labels and the chosen mean net agree; BN running
    # statistics are per rank (non-Sync BN)
    for key in rank0:
        if not key.endswith(('running_mean', 'running_var',
                             'num_batches_tracked')):
            assert torch.equal(rank0[key], rank1[key]), key
    ckpt = torch.load(work / 'epoch_2.pth', weights_only=True)
    assert len(ckpt['meta']['pruning_history']['records']) == 1
