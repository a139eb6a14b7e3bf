# MMT with DBSCAN on the k-reciprocal Jaccard distance (authors'
# examples/mmt_train_dbscan.py): eps chosen at the first clustering as the
# mean of the smallest rho = 1.6e-3 of the distances, min_samples = 4,
# k1 = 20, k2 = 6; outliers (-1) are not trained on. The number of pseudo
# identities changes every epoch; the classifiers follow it.
_base_ = ['./mmt_r50_1xb64-40e_dukemtmc2market1501-256x128.py']

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
