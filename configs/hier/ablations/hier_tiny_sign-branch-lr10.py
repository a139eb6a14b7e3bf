# Ablation of hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py with the
# 32-channel head (hier_tiny_head-width32.py): the
# 43-way sign classifier's own branch (adapter, classifier, upsampling)
# learns with 10x the learning rate. Its loss keeps the paper's weight 0.1,
# so the shared feature and backbone get the same gradient as before (a
# weight of 1.0 made training collapse).
_base_ = ['./hier_tiny_head-width32.py']

optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={
        'decode_head.adapters.4.': dict(lr_mult=10.0),
        'decode_head.classifiers.4.': dict(lr_mult=10.0),
        'decode_head.upsamplers.4.': dict(lr_mult=10.0),
    }))
