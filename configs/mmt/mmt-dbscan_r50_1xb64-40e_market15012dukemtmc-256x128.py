# MMT with DBSCAN (see mmt-dbscan_..._dukemtmc2market1501), Market-1501 ->
# DukeMTMC-reID.
_base_ = ['./mmt_r50_1xb64-40e_market15012dukemtmc-256x128.py']

custom_hooks = [
    dict(
        type='ClusterPseudoLabelHook',
        dataloader={{_base_.cluster_dataloader}},
        mode='dbscan',
        eps=None,
        rho=1.6e-3,
        min_samples=4,
        k1=20,
        k2=6),
    dict(type='MeanNetHook', alpha=0.999, select_metric='reid/mAP'),
]
