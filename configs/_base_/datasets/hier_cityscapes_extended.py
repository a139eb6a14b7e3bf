# Cityscapes Extended (Cityscapes traffic-sign pixels labelled with GTSDB
# classes): evaluation only, e.g. `tools/test.py <config> <ckpt>
# --cfg-options` with this file's test_dataloader.
_base_ = ['./cvg_datasets.py']

test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='HierConcatDataset',
        datasets=[_base_.cityscapes_extended_val],
        # a plain image, for mmseg's MMSegInferencer
        pipeline=_base_.test_pipeline))
test_evaluator = dict(
    type='MultiDatasetHierMetric',
    taxonomy=_base_.dataset_taxonomy,
    dataset_views=_base_.dataset_eval_views)
