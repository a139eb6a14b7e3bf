# Ablation of hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py with the
# 32-channel head (hier_tiny_head-width32.py): the sign
# classifier's loss weight lambda = 1.0 instead of the paper's 0.1.
_base_ = ['./hier_tiny_head-width32.py']

model = dict(
    decode_head=dict(
        loss_decode=dict(node_weights={'traffic sign front': 1.0})))
