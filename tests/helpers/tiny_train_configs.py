# Copyright (c) mmhier contributors. All rights reserved.
"""Config files for short ``tools/train.py`` runs of the shipped tiny
configs on a generated synthetic data set (a few iterations, no data
loader workers unless asked), shared by the pruning and tool tests."""
import os.path as osp

from tool_runs import REPO

FCN_TINY = osp.join(
    REPO, 'configs', 'baselines',
    'fcn_r18-tiny-d8_1xb4-100i_synthetic-cityscapes-128x128.py')
MMT_TINY = osp.join(REPO, 'configs', 'mmt',
                    'mmt_r18-tiny_1xb16-8e_synthetic-source2target-64x32.py')


def config_text(base: str, *parts: str) -> str:
    """A config that inherits ``base`` and adds ``parts`` (config lines)."""
    return f'\n_base_ = [{base!r}]\n' + ''.join(parts)


def fcn_two_iters(root: str, scheduler_end: int) -> str:
    """Lines for :data:`FCN_TINY`: two iterations of batch 2 on the
    Cityscapes-format set at ``root``, a checkpoint at iteration 2, the
    poly schedule ending at ``scheduler_end``."""
    return f"""\
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root={root!r}))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root={root!r}))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2, val_interval=1000)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0,
                        end={scheduler_end}, by_epoch=False)]
default_hooks = dict(checkpoint=dict(interval=2), logger=dict(interval=1))
"""


def mmt_taylor_pruning(root: str, max_epochs: int, checkpoint: str,
                       num_workers: int = 0, extra_hooks: str = '') -> str:
    """Lines for :data:`MMT_TINY` on the re-ID set at ``root`` (six
    classes, two iterations an epoch, validation never due): k-means
    pseudo labels, mean nets, and Taylor pruning of peer1's backbone by
    half (replicated to the other three nets) due at epoch 0, before the
    first clustering; the Taylor pass waits for the pseudo labels (see
    PruningHook).

    Args:
        checkpoint (str): The arguments of the checkpoint hook.
        extra_hooks (str): Further ``custom_hooks`` entries, each ending
            with a comma.
    """
    return f"""\
model = dict(peer_init=None, model=dict(head=dict(num_classes=6)))
train_dataloader = dict(
    num_workers={num_workers}, persistent_workers=False,
    sampler=dict(iters_per_epoch=2), dataset=dict(data_root={root!r}))
val_dataloader = dict(dataset=dict(data_root={root!r}))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs={max_epochs}, val_interval=10)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict({checkpoint}))
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
    dict(type='PruningHook', ratio=0.5, importance='taylor',
         layers=[r'^backbone\\.'], module='peer1',
         replicate_to=['peer2', 'mean1', 'mean2']),
    {extra_hooks}
]
"""
