# Test-only: configs/mmt/mmt_r18-tiny_1xb16-8e_synthetic-source2target-64x32.py
# made exactly reproducible across data-parallel splits, for
# tests/test_tools/test_ddp_equivalence.py (which explains why).
# - GroupNorm instead of BN in the backbone and the neck: per-sample
#   statistics, so 2 ranks x 4 images and 1 process x 8 images compute the
#   same thing (SyncBN needs CUDA).
# - Both peer views are the same fixed resize (MMT's random crop / flip /
#   erasing draw from each dataloader process' RNG, which a different split
#   of the batch consumes differently).
# - SGD instead of the recipe's Adam: Adam divides by sqrt(v) + eps, which
#   blows float-rounding noise in near-zero gradients up to a sizeable
#   fraction of lr (measured: weights 2e-5 apart after 4 steps at lr 3.5e-4
#   while every loss term agreed to 1e-7); SGD's update is proportional to
#   the gradient, so the weight check stays meaningful.
# - Random initialisation (no source checkpoint), 2 epochs x 2 iterations,
#   4 k-means clusters of the tiny synthetic target set.
# - The batch size is set per run (8 = 2 identities x 4 here; the DDP run
#   passes 4 per rank: each rank then holds ONE pseudo identity, so its
#   triplet terms only have negatives because the losses mine across ranks).
_base_ = [
    '../../../configs/mmt/mmt_r18-tiny_1xb16-8e_synthetic-source2target-'
    '64x32.py'
]

custom_imports = dict(
    imports=['mmhier', 'ddp_equivalence_hooks'], allow_failed_imports=False)

gn = dict(type='GN', num_groups=8, requires_grad=True)
num_clusters = 4
model = dict(
    model=dict(
        backbone=dict(norm_cfg=gn),
        head=dict(
            num_classes=num_clusters,
            neck_norm_cfg=dict(type='GN', num_groups=8))),
    peer_init=None)

img_scale = (32, 64)
train_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(
        type='mmpretrain.MultiView',
        num_views=2,
        transforms=[[
            dict(type='mmpretrain.Resize', scale=img_scale,
                 interpolation='bicubic')
        ]]),
    dict(type='mmpretrain.PackInputs', meta_keys={{_base_.meta_keys}}),
]
batch_size = 8
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(batch_size=batch_size, iters_per_epoch=2),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None

optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='SGD', lr=0.05, momentum=0.9))
train_cfg = dict(max_epochs=2, val_interval=1000)
custom_hooks = [
    dict(
        type='ClusterPseudoLabelHook',
        dataloader={{_base_.cluster_dataloader}},
        mode='kmeans',
        num_clusters=num_clusters,
        seed=1),
    dict(type='MeanNetHook', alpha=0.999),
    dict(type='DDPRecordHook'),
]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(
        interval=1,
        max_keep_ckpts=-1,
        save_best=None,
        backend_args=dict(backend='ddp_test_counting')))
randomness = dict(seed=0, deterministic=True)
