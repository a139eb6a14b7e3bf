# Ablation: hier_tiny_sign-crops_root-balance.py with the sign classifier's
# loss weight lambda = 1.0 instead of the paper's 0.1.
_base_ = ['./hier_tiny_sign-crops_root-balance.py']

model = dict(
    decode_head=dict(
        loss_decode=dict(node_weights={'traffic sign front': 1.0})))
