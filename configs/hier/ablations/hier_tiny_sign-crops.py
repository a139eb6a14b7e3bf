# Ablation: the tiny hierarchical model with Cityscapes / Vistas crops drawn
# on a traffic-sign pixel half of the time (SignAwareRandomCrop with
# target_node='traffic sign'), so that the root sees the rare sign class in
# about as many crops as with the paper's 512x706 crops of 1024x512 images.
_base_ = ['../hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py']

sign_crop_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadHierAnnotations'),
    dict(type='Resize', scale=_base_.scale, keep_ratio=True),
    dict(
        type='SignAwareRandomCrop',
        crop_size=_base_.crop_size,
        prob=0.5,
        taxonomy=_base_.dataset_taxonomy,
        target_node='traffic sign'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs', meta_keys=_base_.meta_keys),
]
train_dataloader = dict(
    dataset=dict(datasets=[
        dict(_base_.cityscapes_train, pipeline=sign_crop_train_pipeline),
        dict(_base_.vistas_train, pipeline=sign_crop_train_pipeline),
        _base_.gtsdb_train
    ]))
