# MMT k-means (M_t = 500), Market-1501 -> DukeMTMC-reID; see the
# Duke -> Market config for the recipe.
_base_ = ['./mmt_r50_1xb64-40e_dukemtmc2market1501-256x128.py']

source_config = 'reid_r50_1xb64-80e_market1501-source-256x128'
target_type = 'DukeMTMCDataset'
target_root = 'data/dukemtmc/DukeMTMC-reID'
peer_init = [
    f'work_dirs/{source_config}/epoch_80.pth',
    f'work_dirs/{source_config}_seed2/epoch_80.pth',
]
model = dict(peer_init=peer_init)
target_dataset = dict(type=target_type, data_root=target_root)
train_dataloader = dict(dataset=target_dataset)
val_dataloader = dict(dataset=target_dataset)
test_dataloader = val_dataloader
cluster_dataloader = dict(
    batch_size=128,
    num_workers=4,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=target_type,
        data_root=target_root,
        split='train',
        pipeline={{_base_.test_pipeline}}))
custom_hooks = [
    dict(
        type='ClusterPseudoLabelHook',
        dataloader=cluster_dataloader,
        mode='kmeans',
        num_clusters=500,
        seed=1),
    dict(type='MeanNetHook', alpha=0.999, select_metric='reid/mAP'),
]
