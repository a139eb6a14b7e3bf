# Ablation of hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py: the
# paper's learning rate 0.01 (hier_tiny_lr0.01.py) and the sign classifier's
# loss weight 0.5 instead of 0.1, so that its own step is lr x weight = 0.005,
# where the sign classifier probe learns best at 1-2 signs per step.
_base_ = ['./hier_tiny_lr0.01.py']

model = dict(
    decode_head=dict(
        loss_decode=dict(node_weights={'traffic sign front': 0.5})))
