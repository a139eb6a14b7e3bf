# Single-dataset flat baseline on synthetic GTSDB (Meletis & Dubbelman, IV
# 2018, Table II column 3): the tiny flat model of
# flat_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py (same backbone, head,
# optimiser, schedule and seed) trained on GTSDB alone, batches of 4. As in
# the paper, the boxes are filled with the sign's outline (per-pixel labels)
# and every other pixel is trained as one extra class "unlabeled", without
# which the 43-class training does not converge (Sec. V-C). Scored on GTSDB
# inside the boxes and on the sign outlines; the "unlabeled" class predicts
# no GTSDB class (it is mapped to the root node, a miss).
_base_ = ['./flat_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py']

# leaves + the joint model's coarse classes + "unlabeled" (the root node:
# a pixel of no GTSDB class)
flat_coarse_nodes = _base_.flat_coarse_nodes + ['root']
num_classes = _base_.num_classes + 1
model = dict(
    data_preprocessor=dict(unlabeled=True),
    decode_head=dict(num_classes=num_classes))
train_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=_base_.gtsdb_flat_train)
val_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='HierConcatDataset',
        taxonomy=_base_.dataset_taxonomy,
        datasets=[_base_.gtsdb_val, _base_.gtsdb_outline_val],
        # a plain image, for mmseg's MMSegInferencer
        pipeline=_base_.test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    flat_coarse_nodes=flat_coarse_nodes,
    fair_protocol=False)
test_evaluator = val_evaluator
