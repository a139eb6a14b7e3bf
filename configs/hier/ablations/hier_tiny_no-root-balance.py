# Ablation of hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py with the
# 32-channel head (hier_tiny_head-width32.py): without
# the rare-class balance of the root classifier (sign-aware crops kept).
_base_ = ['./hier_tiny_head-width32.py']

model = dict(
    decode_head=dict(loss_decode=dict(_delete_=True, type='HierarchicalLoss',
                                      weak_gate='path')))
