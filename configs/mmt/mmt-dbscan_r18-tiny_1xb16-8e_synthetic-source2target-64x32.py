# Tiny CPU MMT with DBSCAN on the k-reciprocal Jaccard distance (authors'
# eps rule: mean of the smallest rho of the pairwise distances at the first
# clustering; min_samples 4, k1 20, k2 6), synthetic source -> target.
# rho is the share of pairs that are expected to be same-identity pairs:
# the authors' 1.6e-3 fits Market-1501 (751 ids x ~17 images: 0.12% of the
# pairs); the synthetic target (60 ids x ~9 images) has ~1.5%, hence 1e-2.
_base_ = ['./mmt_r18-tiny_1xb16-8e_synthetic-source2target-64x32.py']

custom_hooks = [
    dict(
        type='ClusterPseudoLabelHook',
        dataloader={{_base_.cluster_dataloader}},
        mode='dbscan',
        eps=None,
        rho=1e-2,
        min_samples=4,
        k1=20,
        k2=6),
    dict(type='MeanNetHook', alpha=0.999, select_metric='reid/mAP'),
]
