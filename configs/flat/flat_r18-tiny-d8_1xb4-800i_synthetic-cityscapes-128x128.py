# Single-dataset flat baseline on synthetic Cityscapes (Meletis & Dubbelman,
# IV 2018, Table II column 1): the tiny flat model of
# flat_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py (same backbone, head,
# optimiser, schedule and seed) trained on Cityscapes alone, batches of 4,
# scored on Cityscapes in its own label space. Cityscapes' coarse labels
# (road, rider, traffic sign) are flat classes of their own, so no fair
# protocol is needed.
_base_ = ['./flat_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py']

train_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=_base_.cityscapes_train)
val_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    # a one-source HierConcatDataset: it carries the plain-image pipeline
    # that mmseg's MMSegInferencer reads from test_dataloader.dataset
    dataset=dict(
        type='HierConcatDataset',
        taxonomy=_base_.dataset_taxonomy,
        datasets=[_base_.cityscapes_val],
        pipeline=_base_.test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(fair_protocol=False)
test_evaluator = val_evaluator
