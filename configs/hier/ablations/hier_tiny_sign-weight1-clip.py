# Ablation of hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py: the sign
# classifier's loss weight lambda = 1.0 instead of the paper's 0.1, with the
# gradient norm clipped (without clipping this weight diverged,
# hier_tiny_sign-weight1.py).
_base_ = ['../hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py']

model = dict(
    decode_head=dict(
        loss_decode=dict(node_weights={'traffic sign front': 1.0})))
optim_wrapper = dict(clip_grad=dict(_delete_=True, max_norm=5.0, norm_type=2))
