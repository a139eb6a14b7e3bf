# Ablation of hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py with the
# 32-channel head (hier_tiny_head-width32.py): a wider
# adaptation branch for the 43-way sign classifier (the paper lets branches
# differ in width, Sec. III-B): 32 bottleneck planes (128 channels) instead
# of 8 (32).
_base_ = ['./hier_tiny_head-width32.py']

model = dict(
    decode_head=dict(
        adapt_overrides={'traffic sign front': dict(planes=32)}))
