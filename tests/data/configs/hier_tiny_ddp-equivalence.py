# Test-only: configs/hier/hier_tiny_1xb4-200i_synthetic-cityscapes-128x128.py
# made exactly reproducible across data-parallel splits, for
# tests/test_tools/test_ddp_equivalence.py (which explains why).
# - GroupNorm instead of BN: per-sample statistics, so 2 ranks x 2 images and
#   1 process x 4 images compute the same thing (SyncBN needs CUDA).
# - No random transform: a fixed resize of the 256x128 frames to 64x32.
# - Every pixel labelled (FillIgnoredLabels, test-only): the hierarchical loss
#   is a mean over each classifier's labelled pixels *of the local batch*, so
#   only with equal pixel counts on both ranks is the mean of the two ranks'
#   losses (what DDP's gradient averaging optimises) the one-process loss.
# - The batch size is set per run (4 here; the DDP run passes 2 per rank).
_base_ = [
    '../../../configs/hier/hier_tiny_1xb4-200i_synthetic-cityscapes-128x128.py'
]

custom_imports = dict(
    imports=['mmhier', 'ddp_equivalence_hooks'], allow_failed_imports=False)

gn = dict(type='GN', num_groups=8, requires_grad=True)
model = dict(
    data_preprocessor=dict(size=(32, 64)),
    backbone=dict(norm_cfg=gn),
    decode_head=dict(norm_cfg=gn))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadHierAnnotations'),
    dict(type='Resize', scale=(64, 32), keep_ratio=False),
    dict(type='FillIgnoredLabels', taxonomy={{_base_.taxonomy}},
         node='building'),
    dict(type='PackHierSegInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=train_pipeline))
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None

max_iters = 4
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=1000)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(
        interval=2, backend_args=dict(backend='ddp_test_counting')))
custom_hooks = [dict(type='DDPRecordHook')]
randomness = dict(seed=0, deterministic=True)
