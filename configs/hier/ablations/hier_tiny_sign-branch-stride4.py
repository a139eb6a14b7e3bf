# Ablation of hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py with the
# 32-channel head (hier_tiny_head-width32.py): the
# 43-way sign classifier's branch also reads the stride-4 backbone stage
# (layer1, 16 channels -> 16 after a 1x1 conv), concatenated with the shared
# stride-8 feature upsampled to it. A synthetic sign face spans only 2-5
# cells of the stride-8 map; its glyph is finer than one cell.
_base_ = ['./hier_tiny_head-width32.py']

model = dict(
    decode_head=dict(
        detail_cfg=dict(
            classifiers=['traffic sign front'],
            in_index=0,
            in_channels=16,
            channels=16)))
