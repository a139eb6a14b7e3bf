# 80k iterations: linear warm-up from 0.1 x lr over the first 1000
# iterations (Goyal et al. 2017: needed once the lr is scaled up for a large
# batch), then cosine annealing.
# Schedulers are built after auto_scale_lr, so both start from the scaled lr.
# With gradient accumulation, multiply max_iters by accumulative_counts
# (iterations count forward passes).
max_iters = 80000
warmup_iters = 1000
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        begin=0,
        end=warmup_iters,
        by_epoch=False),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-4,
        begin=warmup_iters,
        end=max_iters,
        by_epoch=False),
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=8000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=8000),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
