# Single-dataset baseline: the hierarchical model of
# hier_r50-d8_1xb4-160k_cvg-512x706.py trained on Mapillary Vistas v1.2 alone
# (batch 4, images scaled to 1024x512, 512x706 crops, same optimiser and
# schedule: 160k iterations = 35.6 Vistas epochs).
_base_ = ['./hier_r50-d8_1xb4-160k_cvg-512x706.py']

train_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=_base_.vistas_train)
val_dataloader = dict(
    _delete_=True,
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
