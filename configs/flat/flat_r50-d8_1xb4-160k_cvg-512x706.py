# Flat baseline of configs/hier/hier_r50-d8_1xb4-160k_cvg-512x706.py
# (Meletis & Dubbelman, IV 2018, Sec. V-C): the same ResNet-50-D8, data, 1:2:1
# batches, schedule and seed, one flat softmax over the union of the label
# spaces: the 108 leaves of the CVG tree plus its internal nodes as extra
# classes (Cityscapes `road` -> `driveable`, `rider`, `traffic sign`; Vistas
# `Traffic Sign (Front)` -> `traffic sign front`). GTSDB boxes are filled
# with the sign's outline and trained as per-pixel labels. Evaluated with the
# paper's fair protocol (a pixel predicted as a coarse class whose second
# choice is the labelled leaf under it counts as that leaf).
#
#   python tools/train.py configs/flat/flat_r50-d8_1xb4-160k_cvg-512x706.py
_base_ = [
    '../_base_/models/flat_r50-d8.py',
    '../_base_/datasets/cvg_1x4_ratio121_flat.py',
    '../_base_/default_runtime.py'
]
flat_coarse_nodes = ['driveable', 'rider',
                     'traffic sign', 'traffic sign front']
num_classes = 108 + len(flat_coarse_nodes)
crop_size = (512, 706)
norm_cfg = dict(type='SyncBN', requires_grad=True, momentum=0.1)
model = dict(
    data_preprocessor=dict(coarse_nodes=flat_coarse_nodes, size=crop_size),
    backbone=dict(norm_cfg=norm_cfg),
    # as the hierarchical head: one 1x1 conv + BN + ReLU to 256 channels on
    # the stride-8 feature, then a single (flat) 1x1 classifier
    decode_head=dict(
        channels=256,
        num_convs=1,
        kernel_size=1,
        concat_input=False,
        num_classes=num_classes,
        norm_cfg=norm_cfg,
        # mean over labelled pixels, as the hierarchical loss (GTSDB crops
        # are mostly ignore)
        loss_decode=dict(avg_non_ignore=True)),
    # the hierarchical model has no auxiliary head either
    auxiliary_head=None)
val_evaluator = dict(flat_coarse_nodes=flat_coarse_nodes, fair_protocol=True)
test_evaluator = val_evaluator

max_iters = 160000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.00017),
    clip_grad=None)
param_scheduler = [
    dict(
        type='MultiStepLR',
        milestones=[80000, 120000, 140000],
        gamma=0.5,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=16000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=16000,
        save_best='mIoU',
        rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
randomness = dict(seed=0)
