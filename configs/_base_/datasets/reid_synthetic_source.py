# Synthetic re-ID source domain (Market-1501 layout, 6 cameras, 60 training
# identities), written by tools/dataset_converters/generate_synthetic.py.
# Images are 64x128 (w x h); the tiny models see 32x64.
_base_ = ['./reid_market1501.py']
dataset_type = 'Market1501Dataset'
data_root = 'data/synthetic/reid_source'
img_scale = (32, 64)  # (w, h)
meta_keys = ('sample_idx', 'img_path', 'pid', 'camid', 'is_query')

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=img_scale, interpolation='bicubic'),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmpretrain.RandomCrop', crop_size=(64, 32), padding=3),
    dict(type='mmpretrain.PackInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=img_scale, interpolation='bicubic'),
    dict(type='mmpretrain.PackInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    sampler=dict(batch_size=32, num_instances=4, iters_per_epoch=20),
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=dict(
        type=dataset_type, data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
