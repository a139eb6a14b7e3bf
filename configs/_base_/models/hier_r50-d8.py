# Hierarchical model of Meletis & Dubbelman (IV 2018), Sec. IV: ResNet-50
# dilated to output stride 8 (as mmseg's fcn_r50-d8), a shared 1x1 conv + BN +
# ReLU to 256 channels, one bottleneck + 1x1 classifier + hybrid upsampling per
# internal node of the label tree, and the hierarchical loss with the per-level
# weights 1.0 / 0.1 / 0.1 that the tree file states (its ``level_weights``).
# No auxiliary head (the paper has none).
#
# The taxonomy path is relative to the repository root (tools are run from
# there). A config for another tree overrides both
# ``model.decode_head.taxonomy`` and its datasets' taxonomy.
norm_cfg = dict(type='SyncBN', requires_grad=True)
taxonomy = 'configs/_base_/taxonomies/cvg_cityscapes_vistas_gtsdb.py'
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    pretrained='open-mmlab://resnet50_v1c',
    backbone=dict(
        type='ResNetV1c',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        contract_dilation=True),
    decode_head=dict(
        type='HierarchicalDecodeHead',
        taxonomy=taxonomy,
        in_channels=2048,
        in_index=3,
        channels=256,
        # num_classes is derived from the tree (its number of leaves)
        adapt_cfg=dict(num_blocks=1, planes=64, dilation=1),
        upsample_kernel=4,
        # the paper's top-down rule (Sec. III-C); 'soft' = argmax of the
        # path product (see mmhier/taxonomy/decision.py for the trade-off)
        decision='greedy',
        dropout_ratio=0.1,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='HierarchicalLoss',
            # box pixels train a classifier where the detached decisions
            # from the root down route them to it (online refinement)
            weak_gate='path',
            weak_warmup_iters=0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

# mmseg's init_model / MMSegInferencer build the model in the scope they are
# given ('mmseg' by default): the model names its own, so that they find
# mmhier's components without a `scope=` argument
model.update(_scope_='mmhier')
