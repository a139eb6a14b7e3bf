# The paper's recipe (Meletis & Dubbelman, "Training of Convolutional Networks
# on Multiple Heterogeneous Datasets for Street Scene Semantic Segmentation",
# IEEE IV 2018, Sec. IV-V): one hierarchical model (ResNet-50 dilated to
# output stride 8, HierarchicalDecodeHead over the 108-leaf CVG tree) trained
# at once on Cityscapes (per-pixel), Mapillary Vistas v1.2 (per-pixel) and
# GTSDB (boxes -> weak labels refined online by the parent's decision).
#
# * batch 4 = Cityscapes : Vistas : GTSDB 1 : 2 : 1 (MultiSourceRatioSampler)
# * every image scaled to 1024x512, crops 512x706 (h x w), GTSDB crops centred
#   on a sign
# * SGD momentum 0.9, weight decay 0.00017, lr 0.01 halved three times
# * lambda 1.0 / 0.1 / 0.1 per classifier level (level_weights in the tree
#   file); Cityscapes kept out of the `driveable` classifier (skip_classifiers
#   in the tree file)
# * BN momentum 0.9 in TensorFlow terms (moving = 0.9 moving + 0.1 batch),
#   i.e. momentum=0.1 in PyTorch terms
# * 160k iterations = 17.8 Vistas epochs at 2 Vistas images per batch (the
#   paper stops early after ~17)
# * validation on Cityscapes (19 and 27 classes), Vistas (65), GTSDB (inside
#   the boxes) and Cityscapes Extended (sign classes) with
#   MultiDatasetHierMetric, each in its own label space.
#
#   python tools/train.py configs/hier/hier_r50-d8_1xb4-160k_cvg-512x706.py
_base_ = [
    '../_base_/models/hier_r50-d8.py',
    '../_base_/datasets/cvg_1x4_ratio121.py',
    '../_base_/default_runtime.py'
]
crop_size = (512, 706)
# reverted to BN by MMEngine when not distributed
norm_cfg = dict(type='SyncBN', requires_grad=True, momentum=0.1)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(norm_cfg=norm_cfg),
    decode_head=dict(norm_cfg=norm_cfg))

max_iters = 160000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.00017),
    clip_grad=None)
# lr halved three times, at 1/2, 3/4 and 7/8 of the schedule
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
