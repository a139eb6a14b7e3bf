# A tiny hierarchical model (HierarchicalDecodeHead + HierarchicalLoss on a
# ResNetV1c-18 with 16 base channels, from scratch) on the synthetic
# Cityscapes set written by tools/dataset_converters/generate_synthetic.py,
# labels read through the taxonomy (labelIds -> node space). CPU, minutes.
# Cityscapes labels only reach the root level (road -> driveable, rider,
# traffic sign are coarse nodes), so the deeper classifiers get no pixel here:
# their losses are the graph-connected zeros, and the score to look at is the
# Cityscapes one (HierIoUMetric in Cityscapes' own classes) and L1.
_base_ = ['../_base_/default_runtime.py', '../_base_/models/hier_r50-d8.py']

taxonomy = 'configs/_base_/taxonomies/synthetic_street.py'
data_root = 'data/synthetic/cityscapes'
crop_size = (128, 128)
norm_cfg = dict(type='BN', requires_grad=True)

model = dict(
    data_preprocessor=dict(size=crop_size),
    pretrained=None,
    backbone=dict(
        depth=18, stem_channels=16, base_channels=16, norm_cfg=norm_cfg),
    decode_head=dict(
        taxonomy=taxonomy,
        in_channels=128,
        channels=32,
        adapt_cfg=dict(num_blocks=1, planes=8, dilation=1),
        dropout_ratio=0.0,
        norm_cfg=norm_cfg))

dataset_type = 'HierCityscapesDataset'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadHierAnnotations'),
    dict(
        type='RandomResize',
        scale=(256, 128),
        ratio_range=(0.75, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackHierSegInputs')
]
val_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 128), keep_ratio=True),
    dict(type='LoadHierAnnotations'),
    dict(type='PackHierSegInputs')
]
# a plain image (mmseg's inference_model / MMSegInferencer, tools/infer.py)
meta_keys = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape',
             'pad_shape', 'scale_factor', 'flip', 'flip_direction',
             'dataset_name')
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 128), keep_ratio=True),
    dict(type='PackSegInputs', meta_keys=meta_keys)
]
# tools/test.py --tta: test_pipeline at 3 scales x mirrored, built by
# mmhier.apis.build_tta_pipeline
tta_ratios = [0.75, 1.0, 1.25]
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        taxonomy=taxonomy,
        data_root=data_root,
        data_prefix=dict(
            img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        taxonomy=taxonomy,
        data_root=data_root,
        data_prefix=dict(
            img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        pipeline=val_pipeline))
# the validation set inside a HierConcatDataset that carries the plain-image
# pipeline mmseg's MMSegInferencer reads (test_dataloader.dataset.pipeline)
test_dataloader = dict(
    val_dataloader,
    dataset=dict(
        type='HierConcatDataset',
        datasets=[val_dataloader['dataset']],
        pipeline=test_pipeline))
val_evaluator = dict(
    type='HierIoUMetric', taxonomy=taxonomy, dataset_name='cityscapes')
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4),
    clip_grad=None)
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=200,
         by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=200, val_interval=100)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=100),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
randomness = dict(seed=0)
