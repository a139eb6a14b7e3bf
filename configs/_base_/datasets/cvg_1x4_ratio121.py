# The paper's training data: every batch of 4 holds Cityscapes : Vistas :
# GTSDB = 1 : 2 : 1 (MultiSourceRatioSampler, one infinite seeded stream per
# dataset, disjoint per GPU). Validation runs on all four evaluation sets at
# once; MultiDatasetHierMetric scores each in its own label space.
_base_ = ['./cvg_datasets.py']

# per GPU, the only batch knob: the batch sampler hands it to the ratio
# sampler (a multiple of 4 keeps 1:2:1; another number fails at build)
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(
        type='MultiSourceRatioSampler', source_ratio=[1, 2, 1], shuffle=True),
    batch_sampler=dict(type='MultiSourceRatioBatchSampler'),
    dataset=dict(
        type='HierConcatDataset',
        taxonomy=_base_.dataset_taxonomy,
        datasets=[
            _base_.cityscapes_train, _base_.vistas_train, _base_.gtsdb_train
        ]))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='HierConcatDataset',
        taxonomy=_base_.dataset_taxonomy,
        datasets=[
            _base_.cityscapes_val, _base_.vistas_val, _base_.gtsdb_val,
            _base_.gtsdb_outline_val, _base_.cityscapes_extended_val
        ],
        # a plain image, for mmseg's MMSegInferencer (the sources keep
        # their own pipelines)
        pipeline=_base_.test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='MultiDatasetHierMetric',
    taxonomy=_base_.dataset_taxonomy,
    dataset_views=_base_.dataset_eval_views,
    class_subset=_base_.sign_class_subset)
test_evaluator = val_evaluator
