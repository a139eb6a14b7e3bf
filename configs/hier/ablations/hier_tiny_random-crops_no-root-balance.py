# Ablation of hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py with the
# 32-channel head (hier_tiny_head-width32.py): plain
# random Cityscapes / Vistas crops and no root class balance (the model
# before both; greedy rule and path gate kept).
_base_ = ['./hier_tiny_no-root-balance.py']

random_crop_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadHierAnnotations'),
    dict(type='Resize', scale=_base_.scale, keep_ratio=True),
    dict(type='RandomCrop', crop_size=_base_.crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs', meta_keys=_base_.meta_keys),
]
train_dataloader = dict(
    dataset=dict(datasets=[
        dict(_base_.cityscapes_train, pipeline=random_crop_train_pipeline),
        dict(_base_.vistas_train, pipeline=random_crop_train_pipeline),
        _base_.gtsdb_train
    ]))
