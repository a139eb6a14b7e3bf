# Tiny CPU version of hier_r50-d8_1xb4-*_vistas-512x706.py: the tiny
# hierarchical model of hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py
# trained on synthetic Mapillary Vistas alone (same model, optimiser,
# schedule and seed; batch 4 from one dataset), validated on that dataset
# in its own label space with MultiDatasetHierMetric.
_base_ = ['./hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py']

train_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=_base_.vistas_train)
val_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_base_.vistas_val)
test_dataloader = val_dataloader

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
