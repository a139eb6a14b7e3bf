# cvg_1x4_ratio121.py on the synthetic data (data/synthetic, 128x128 crops).
# The paper's training data: every batch of 4 holds Cityscapes : Vistas :
# GTSDB = 1 : 2 : 1 (MultiSourceRatioSampler, one infinite seeded stream per
# dataset, disjoint per GPU). Validation runs on all four evaluation sets at
# once; MultiDatasetHierMetric scores each in its own label space.
_base_ = ['./synthetic_cvg_datasets.py']

batch_size = 4  # per GPU; the sampler and the dataloader must agree
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(
        type='MultiSourceRatioSampler',
        batch_size=batch_size,
        source_ratio=[1, 2, 1],
        shuffle=True),
    dataset=dict(
        type='HierConcatDataset',
        taxonomy=_base_.dataset_taxonomy,
        datasets=[
            _base_.cityscapes_train, _base_.vistas_train, _base_.gtsdb_train
        ]))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='HierConcatDataset',
        taxonomy=_base_.dataset_taxonomy,
        datasets=[
            _base_.cityscapes_val, _base_.vistas_val, _base_.gtsdb_val,
            _base_.gtsdb_outline_val, _base_.cityscapes_extended_val
        ]))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='MultiDatasetHierMetric',
    taxonomy=_base_.dataset_taxonomy,
    dataset_views=_base_.dataset_eval_views,
    class_subset=_base_.sign_class_subset)
test_evaluator = val_evaluator

# a plain image, for mmseg's MMSegInferencer, which reads
# test_dataloader.dataset.pipeline (the sources keep their own pipelines)
val_dataloader['dataset']['pipeline'] = _base_.test_pipeline
