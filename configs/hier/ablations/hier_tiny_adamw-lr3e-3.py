# Ablation of the main job's config (hier_r18-tiny-d8_1xb4-2000i_synthetic-
# cvg-128x128.py): AdamW (Loshchilov & Hutter, "Decoupled Weight Decay
# Regularization", ICLR 2019) at lr 3e-3 instead of SGD at 0.05, same
# schedule. Adaptive steps are the usual way to train a from-scratch network
# in a short budget. Test unchanged.
_base_ = ['../hier_r18-tiny-d8_1xb4-2000i_synthetic-cvg-128x128.py']

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=3e-3, betas=(0.9, 0.999),
                   weight_decay=0.01))
