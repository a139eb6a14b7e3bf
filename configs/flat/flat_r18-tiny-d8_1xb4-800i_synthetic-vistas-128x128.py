# Single-dataset flat baseline on synthetic Mapillary Vistas (Meletis &
# Dubbelman, IV 2018, Table II column 2): the tiny flat model of
# flat_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py (same backbone, head,
# optimiser, schedule and seed) trained on Vistas alone, batches of 4,
# scored on Vistas in its own label space. Vistas' coarse label (Traffic
# Sign (Front)) is a flat class of its own, so no fair protocol is needed.
_base_ = ['./flat_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py']

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
    # a one-source HierConcatDataset: it carries the plain-image pipeline
    # that mmseg's MMSegInferencer reads from test_dataloader.dataset
    dataset=dict(
        type='HierConcatDataset',
        taxonomy=_base_.dataset_taxonomy,
        datasets=[_base_.vistas_val],
        pipeline=_base_.test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(fair_protocol=False)
test_evaluator = val_evaluator
