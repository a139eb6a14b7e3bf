# Source-only baseline (and stage 1 of MMT) for segmentation domain
# adaptation on the synthetic data: the tiny hierarchical segmentor
# (ResNetV1c-18, 16 base channels, HierarchicalDecodeHead) trained on the
# labelled synthetic Cityscapes, evaluated on the unlabelled target domain
# data/synthetic/cityscapes_target (HierIoUMetric per level, in Cityscapes'
# classes). CPU, minutes. Generate the data first:
#   python tools/dataset_converters/generate_synthetic.py \
#       --out-dir data/synthetic
_base_ = ['../hier/hier_tiny_1xb4-200i_synthetic-cityscapes-128x128.py']

taxonomy = 'configs/mmt/seg_taxonomy_synthetic-street-cityscapes-target.py'
source_root = 'data/synthetic/cityscapes'
target_root = 'data/synthetic/cityscapes_target'
crop_size = (128, 128)
max_iters = 400

model = dict(decode_head=dict(taxonomy=taxonomy))

source_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadHierAnnotations'),
    dict(type='RandomResize', scale=(256, 128), ratio_range=(0.75, 1.5),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs', meta_keys=_base_.meta_keys),
]
target_val_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(256, 128), keep_ratio=True),
    dict(type='LoadHierAnnotations'),
    dict(type='PackSegInputs', meta_keys=_base_.meta_keys),
]
source_train = dict(
    type='HierCityscapesDataset',
    taxonomy=taxonomy,
    dataset_name='cityscapes',
    data_root=source_root,
    data_prefix=dict(
        img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    pipeline=source_pipeline)
target_val = dict(
    type='HierCityscapesDataset',
    taxonomy=taxonomy,
    dataset_name='cityscapes_target',
    data_root=target_root,
    data_prefix=dict(img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
    pipeline=target_val_pipeline)

train_dataloader = dict(dataset=source_train)
val_dataloader = dict(dataset=target_val)
# the plain-image test_pipeline of the base config rides along for mmseg's
# MMSegInferencer (test_dataloader.dataset.pipeline)
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='HierConcatDataset',
        datasets=[target_val],
        pipeline=_base_.test_pipeline))
val_evaluator = dict(
    type='HierIoUMetric', taxonomy=taxonomy, dataset_name='cityscapes_target')
test_evaluator = val_evaluator

param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False,
                    interval=max_iters),
    visualization=dict(type='SegVisualizationHook', draw=False))
