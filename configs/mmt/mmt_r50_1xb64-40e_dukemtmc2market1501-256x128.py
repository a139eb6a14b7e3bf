# Mutual Mean-Teaching (Ge et al., ICLR 2020), stage 2: DukeMTMC-reID ->
# Market-1501 with k-means (M_t = 500), ResNet-50, as the authors'
# scripts/train_mmt_kmeans.sh: batch 64 = 16 pseudo ids x 4, 256x128,
# Adam 3.5e-4 / wd 5e-4 (constant), 40 epochs x 400 iterations,
# lambda_id = 0.5, lambda_tri = 0.8, alpha = 0.999.
#
# Stage 1 gives the two source-domain checkpoints (two seeds) of
# `peer_init`:
#   SRC=reid_r50_1xb64-80e_dukemtmc-source-256x128
#   python tools/train.py configs/mmt/$SRC.py
#   python tools/train.py configs/mmt/$SRC.py \
#       --work-dir work_dirs/${SRC}_seed2 \
#       --cfg-options randomness.seed=2
# other files: --cfg-options model.peer_init="['a.pth','b.pth']" (one file
# initialises both peers).
_base_ = ['../_base_/default_runtime.py']

source_config = 'reid_r50_1xb64-80e_dukemtmc-source-256x128'
target_type = 'Market1501Dataset'
target_root = 'data/market1501'
peer_init = [
    f'work_dirs/{source_config}/epoch_80.pth',
    f'work_dirs/{source_config}_seed2/epoch_80.pth',
]
num_clusters = 500
img_scale = (128, 256)  # (w, h)
crop_size = (256, 128)  # (h, w)
batch_size = 64
num_instances = 4
iters_per_epoch = 400

# ---------------------------------------------------------------- model ---
# the inner model: configs/_base_/models/reid_r50.py with M_t classifier
# rows and no ImageNet init (the peers come from the source checkpoints)
model = dict(
    type='MMT',
    model=dict(
        type='ReIDModel',
        backbone=dict(
            type='mmpretrain.ResNet',
            depth=50,
            strides=(1, 2, 2, 1),  # last stride 1
            out_indices=(3, ),
            init_cfg=None),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(
            type='ReIDHead', in_channels=2048, num_classes=num_clusters)),
    # the two augmented views arrive as a list: SelfSupDataPreprocessor
    # normalises both (ImageNet mean/std, BGR -> RGB)
    data_preprocessor=dict(
        type='mmpretrain.SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    loss_ce=dict(type='LabelSmoothCrossEntropyLoss', epsilon=0.1),
    loss_soft_ce=dict(type='SoftEntropyLoss'),
    loss_tri=dict(type='SoftmaxTripletLoss'),
    loss_soft_tri=dict(type='SoftSoftmaxTripletLoss'),
    lambda_id=0.5,
    lambda_tri=0.8,
    peer_init=peer_init,
    test_net='auto')

# ----------------------------------------------------------------- data ---
# One random augmentation per peer (authors' train transform applied twice):
# resize, flip, pad 10 + random crop, random erasing (p=0.5). The erased
# area gets the colour the authors' RandomErasing writes in normalised space
# (mean=[0.485, 0.456, 0.406] used as normalised values), i.e. RGB
# (152, 142, 127); the image is BGR here.
peer_view = [
    dict(
        type='mmpretrain.Resize', scale=img_scale, interpolation='bicubic'),
    dict(type='mmpretrain.RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='mmpretrain.RandomCrop',
        crop_size=crop_size,
        padding=10,
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
    dict(
        type='mmpretrain.Resize', scale=img_scale, interpolation='bicubic'),
    dict(type='mmpretrain.PackInputs', meta_keys=meta_keys),
]

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=4,
    persistent_workers=True,
    drop_last=True,
    # the sampler is relabelled by ClusterPseudoLabelHook before each epoch
    sampler=dict(
        type='IdentityBalancedSampler',
        batch_size=batch_size,
        num_instances=num_instances,
        iters_per_epoch=iters_per_epoch),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=target_type,
        data_root=target_root,
        split='train',
        pipeline=train_pipeline))
# the target train set with the test pipeline, for the clustering features
cluster_dataloader = dict(
    batch_size=128,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=target_type,
        data_root=target_root,
        split='train',
        pipeline=test_pipeline))
val_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=target_type,
        data_root=target_root,
        split='test',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='ReIDMetric')
test_evaluator = val_evaluator

# ------------------------------------------------------------- schedule ---
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=3.5e-4, weight_decay=5e-4))
param_scheduler = []  # constant lr in the MMT stage (authors)
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=40, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

custom_hooks = [
    # before every epoch: mean-net features -> k-means -> pseudo labels,
    # classifier init from centroids, optimizer reset
    dict(
        type='ClusterPseudoLabelHook',
        dataloader=cluster_dataloader,
        mode='kmeans',
        num_clusters=num_clusters,
        seed=1),
    # after every iteration: E[theta] <- a_t E[theta] + (1 - a_t) theta;
    # after every validation: keep the better mean net for inference
    dict(type='MeanNetHook', alpha=0.999, select_metric='reid/mAP'),
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        max_keep_ckpts=3,
        save_best='reid/mAP',
        rule='greater'))
log_processor = dict(by_epoch=True)
randomness = dict(seed=1)
visualizer = dict(
    type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])
