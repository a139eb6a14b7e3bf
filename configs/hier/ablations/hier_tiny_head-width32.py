# Ablation of hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py: the
# narrower head the tiny config had first (a 32-channel shared feature and
# 8-plane bottlenecks, 32 channels out, per classifier). The ablations
# measured on that head inherit from this file so that they reproduce.
_base_ = ['../hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py']

model = dict(
    decode_head=dict(
        channels=32, adapt_cfg=dict(num_blocks=1, planes=8, dilation=1)))
