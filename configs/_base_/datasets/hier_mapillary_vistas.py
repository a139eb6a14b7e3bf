# Mapillary Vistas v1.2 alone (single-dataset baseline), in node space.
_base_ = ['./cvg_datasets.py']

train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=_base_.vistas_train)
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_base_.vistas_val)
# tools/test.py and mmseg's MMSegInferencer: the test set inside a
# HierConcatDataset, which carries the plain-image pipeline that the
# inferencer reads from test_dataloader.dataset.pipeline (same samples,
# pipeline and metric as the validation set)
test_dataloader = dict(
    val_dataloader,
    dataset=dict(
        type='HierConcatDataset',
        datasets=[_base_.vistas_val],
        pipeline=_base_.test_pipeline))
val_evaluator = dict(
    type='MultiDatasetHierMetric',
    taxonomy=_base_.dataset_taxonomy,
    dataset_views=_base_.dataset_eval_views)
test_evaluator = val_evaluator
