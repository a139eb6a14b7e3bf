# Tiny CPU version of MMT (k-means) on the synthetic two-domain re-ID data
# (tools/dataset_converters/generate_synthetic.py writes
# data/synthetic/reid_source and reid_target in the Market-1501 layout):
# the thin ResNet-18 of the tiny source stage at 32x64, batch 16 = 4 pseudo
# ids x 4, 8 epochs x 20 iterations. Everything else is the paper's recipe.
#
# Both peers start from the tiny source-only checkpoint:
#   python tools/train.py \
#       configs/mmt/reid_r18-tiny_1xb32-5e_synthetic-source-64x32.py
# (a second seed: --cfg-options model.peer_init="['a.pth','b.pth']").
_base_ = ['./mmt_r50_1xb64-40e_dukemtmc2market1501-256x128.py']

target_type = 'Market1501Dataset'
target_root = 'data/synthetic/reid_target'
num_cameras = 8  # the synthetic target domain is recorded with 8 cameras
peer_init = [
    'work_dirs/reid_r18-tiny_1xb32-5e_synthetic-source-64x32/epoch_5.pth'
]
num_clusters = 60  # the synthetic target train set has 60 identities
img_scale = (32, 64)  # (w, h), as the tiny source model
crop_size = (64, 32)
batch_size = 16
num_instances = 4
iters_per_epoch = 20

model = dict(
    model=dict(
        backbone=dict(
            type='mmpretrain.ResNet',
            depth=18,
            base_channels=16,
            stem_channels=16,
            strides=(1, 2, 2, 1),
            out_indices=(3, )),
        head=dict(in_channels=128, num_classes=num_clusters)),
    peer_init=peer_init)

peer_view = [
    dict(type='mmpretrain.Resize', scale=img_scale, interpolation='bicubic'),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='mmpretrain.RandomCrop', crop_size=crop_size, padding=3,
        pad_val=0),
    dict(
        type='mmpretrain.RandomErasing',
        erase_prob=0.5,
        min_area_ratio=0.02,
        max_area_ratio=0.4,
        aspect_range=(0.3, 1 / 0.3),
        mode='const',
        fill_color=(127, 142, 152)),
]
meta_keys = ('sample_idx', 'img_path', 'pid', 'camid', 'is_query')
train_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.MultiView', num_views=2, transforms=[peer_view]),
    dict(type='mmpretrain.PackInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='mmpretrain.LoadImageFromFile'),
    dict(type='mmpretrain.Resize', scale=img_scale, interpolation='bicubic'),
    dict(type='mmpretrain.PackInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(
        batch_size=batch_size,
        num_instances=num_instances,
        iters_per_epoch=iters_per_epoch),
    dataset=dict(
        type=target_type,
        data_root=target_root,
        num_cameras=num_cameras,
        pipeline=train_pipeline))
cluster_dataloader = dict(
    batch_size=64,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=target_type,
        data_root=target_root,
        num_cameras=num_cameras,
        split='train',
        pipeline=test_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type=target_type,
        data_root=target_root,
        num_cameras=num_cameras,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

train_cfg = dict(max_epochs=8, val_interval=2)
custom_hooks = [
    dict(
        type='ClusterPseudoLabelHook',
        dataloader=cluster_dataloader,
        mode='kmeans',
        num_clusters=num_clusters,
        seed=1),
    dict(type='MeanNetHook', alpha=0.999, select_metric='reid/mAP'),
]
default_hooks = dict(logger=dict(interval=10))
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
