# Single-dataset baseline: the hierarchical model of
# hier_r50-d8_1xb4-160k_cvg-512x706.py trained on Cityscapes alone (batch 4,
# 512x706 crops, same optimiser; 80k iterations = 107 Cityscapes epochs).
# Cityscapes labels only reach the root (`road`, `rider`, `traffic sign` are
# coarse nodes), so the deeper classifiers get no pixel: their losses are
# graph-connected zeros.
_base_ = ['./hier_r50-d8_1xb4-160k_cvg-512x706.py']

max_iters = 80000
train_dataloader = dict(
    _delete_=True,
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=_base_.cityscapes_train)
val_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=_base_.cityscapes_val)
param_scheduler = [
    dict(
        type='MultiStepLR',
        milestones=[40000, 60000, 70000],
        gamma=0.5,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=8000)
default_hooks = dict(checkpoint=dict(interval=8000))

# tools/test.py and mmseg's MMSegInferencer: the test set inside a
# HierConcatDataset, which carries the plain-image pipeline that the
# inferencer reads from test_dataloader.dataset.pipeline (same samples,
# pipeline and metric as the validation set)
test_dataloader = dict(
    val_dataloader,
    dataset=dict(
        type='HierConcatDataset',
        datasets=[_base_.cityscapes_val],
        pipeline=_base_.test_pipeline))
