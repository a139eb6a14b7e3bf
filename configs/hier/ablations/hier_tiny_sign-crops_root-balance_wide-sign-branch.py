# Ablation: hier_tiny_sign-crops_root-balance.py with a wider adaptation
# branch for the 43-way sign classifier (the paper lets branches differ in
# width and receptive field, Sec. III-B): 32 bottleneck planes (128 output
# channels) instead of 8 (32), the other classifiers unchanged.
_base_ = ['./hier_tiny_sign-crops_root-balance.py']

model = dict(
    decode_head=dict(
        adapt_overrides={'traffic sign front': dict(planes=32)}))
