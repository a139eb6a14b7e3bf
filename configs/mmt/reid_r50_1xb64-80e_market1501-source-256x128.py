# MMT stage 1: supervised pre-training on the source domain (Market-1501).
# The authors' recipe (examples/source_pretrain.py): label-smoothed CE
# (eps 0.1) + softmax-triplet, Adam lr 3.5e-4 wd 5e-4, 80 epochs x 200
# iterations of 16 identities x 4 images, linear warm-up over 10 epochs from
# 1% of the lr, lr x0.1 at epochs 40 and 70; evaluation every 40 epochs.
# Train two of these with different seeds (--cfg-options randomness.seed=1
# and 2) to initialise MMT's two peers.
_base_ = [
    '../_base_/models/reid_r50.py', '../_base_/datasets/reid_market1501.py',
    '../_base_/default_runtime.py'
]
model = dict(head=dict(num_classes=751))  # Market-1501 training identities

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=3.5e-4, weight_decay=5e-4))
# Warm-up factor 0.01 + 0.99 * epoch / 10 for epochs 0..10 (the authors'
# WarmupMultiStepLR); MMEngine's LinearLR interpolates over end - begin - 1
# steps, hence end=11.
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=11),
    dict(
        type='MultiStepLR',
        milestones=[40, 70],
        gamma=0.1,
        by_epoch=True,
        begin=0,
        end=80),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=80, val_interval=40)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        interval=40,
        max_keep_ckpts=2,
        save_best='reid/mAP',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'))
log_processor = dict(by_epoch=True)
visualizer = dict(
    type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])
randomness = dict(seed=1)
env_cfg = dict(cudnn_benchmark=True)
