# Tiny CPU version of MMT stage 1 on the synthetic source domain
# (data/synthetic/reid_source, 60 training identities): a narrow ResNet-18
# trained from scratch, 64x32 input, 5 epochs x 20 iterations of
# 8 identities x 4 images, evaluated with ReIDMetric on the source
# query/gallery split. Same losses and optimizer as the ResNet-50 recipe
# (reid_r50_1xb64-80e_market1501-source-256x128.py); a 10x larger lr and a
# 1-epoch warm-up because the net starts from scratch and trains briefly.
_base_ = [
    '../_base_/models/reid_r50.py',
    '../_base_/datasets/reid_synthetic_source.py',
    '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(
        depth=18, stem_channels=16, base_channels=16, init_cfg=None),
    head=dict(in_channels=128, num_classes=60))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=3.5e-3, weight_decay=5e-4))
param_scheduler = [
    # epoch 0 at 10% of the lr, full lr from epoch 1 (LinearLR reaches
    # end_factor at step end - begin - 1)
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=2),
    dict(
        type='MultiStepLR',
        milestones=[4],
        gamma=0.1,
        by_epoch=True,
        begin=0,
        end=5),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=5, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        interval=5,
        max_keep_ckpts=1,
        save_best='reid/mAP',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'))
log_processor = dict(by_epoch=True)
visualizer = dict(
    type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])
randomness = dict(seed=1)
env_cfg = dict(cudnn_benchmark=False)
