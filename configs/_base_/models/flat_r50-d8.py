# Flat baseline (Meletis & Dubbelman, IV 2018, Sec. V-C): mmseg's fcn_r50-d8
# (ResNet-50-D8 + FCNHead + auxiliary FCNHead) with one flat softmax over the
# leaves of the same tree. Datasets deliver node-space labels;
# FlatLabelSegDataPreProcessor maps them to leaf indices in training (coarse
# labels of internal nodes -> ignore unless listed in ``flat_coarse_nodes``,
# box-derived labels -> their leaf). Evaluate with HierIoUMetric(taxonomy=...,
# flat_coarse_nodes=flat_coarse_nodes, fair_protocol=True) for the paper's
# fair protocol when coarse classes are used.
norm_cfg = dict(type='SyncBN', requires_grad=True)
taxonomy = 'configs/_base_/taxonomies/cvg_cityscapes_vistas_gtsdb.py'
flat_coarse_nodes = []
num_classes = 108 + len(flat_coarse_nodes)  # leaves of `taxonomy` (+ coarse)
data_preprocessor = dict(
    type='FlatLabelSegDataPreProcessor',
    taxonomy=taxonomy,
    coarse_nodes=flat_coarse_nodes,
    weak='node',
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
        type='FCNHead',
        in_channels=2048,
        in_index=3,
        channels=512,
        num_convs=2,
        concat_input=True,
        dropout_ratio=0.1,
        num_classes=num_classes,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=1024,
        in_index=2,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=num_classes,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

# mmseg's init_model / MMSegInferencer build the model in the scope they are
# given ('mmseg' by default): the model names its own, so that they find
# mmhier's components without a `scope=` argument
model.update(_scope_='mmhier')
