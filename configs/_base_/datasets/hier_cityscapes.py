# Cityscapes alone (single-dataset baseline), in node space.
_base_ = ['./cvg_datasets.py']

train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=_base_.cityscapes_train)
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_base_.cityscapes_val)
test_dataloader = val_dataloader
val_evaluator = dict(
    type='MultiDatasetHierMetric',
    taxonomy=_base_.dataset_taxonomy,
    dataset_views=_base_.dataset_eval_views)
test_evaluator = val_evaluator
