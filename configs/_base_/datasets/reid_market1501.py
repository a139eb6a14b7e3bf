# Market-1501 for re-ID: 256x128 input, P x K = 16 x 4 identity batches,
# the authors' source pre-training augmentation (flip, pad 10 + random crop).
dataset_type = 'Market1501Dataset'
data_root = 'data/market1501'  # the Market-1501-v15.09.15 folder
img_scale = (128, 256)  # (w, h)
meta_keys = ('sample_idx', 'img_path', 'pid', 'camid', 'is_query')

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=img_scale, interpolation='bicubic'),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.RandomCrop', crop_size=(256, 128), padding=10),
    dict(type='mmpretrain.PackInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=img_scale, interpolation='bicubic'),
    dict(type='mmpretrain.PackInputs', meta_keys=meta_keys),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(
        type='IdentityBalancedSampler',
        batch_size=64,
        num_instances=4,
        iters_per_epoch=200),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='ReIDMetric', topk=(1, 5, 10))
test_evaluator = val_evaluator
