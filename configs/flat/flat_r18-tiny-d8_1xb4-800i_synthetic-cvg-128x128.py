# Flat baseline of
# configs/hier/hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py
# (Meletis & Dubbelman, IV 2018, Sec. V-C). Inherits everything from it (the
# backbone, data and 1:2:1 batches, optimiser, schedule, seed) and swaps
# * the head: mmseg's FCNHead with one flat softmax over the union of the
#   label spaces, i.e. the tree's 56 leaves plus its internal nodes as extra
#   classes (Cityscapes `road` -> `driveable`, `rider`, `traffic sign`; Vistas
#   `Traffic Sign (Front)` -> `traffic sign front`), as a flat classifier over
#   the datasets' labels must have them;
# * the labels: node-space codes mapped to those classes in training
#   (FlatLabelSegDataPreProcessor); GTSDB boxes filled with the sign's outline
#   and trained as per-pixel labels (BoxToMask mode='shape');
# * the evaluation: the paper's fair protocol (a pixel predicted as a coarse
#   class whose second choice is the labelled leaf under it counts as that
#   leaf).
_base_ = ['../hier/hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py']

flat_coarse_nodes = ['driveable', 'rider',
                     'traffic sign', 'traffic sign front']
num_classes = 56 + len(flat_coarse_nodes)  # leaves of `taxonomy` + coarse

model = dict(
    data_preprocessor=dict(
        _delete_=True,
        type='FlatLabelSegDataPreProcessor',
        taxonomy=_base_.taxonomy,
        coarse_nodes=flat_coarse_nodes,
        weak='node',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size=_base_.crop_size),
    decode_head=dict(
        _delete_=True,
        type='FCNHead',
        in_channels=128,
        in_index=3,
        channels=128,  # as wide as the hierarchical head's shared feature
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.0,
        num_classes=num_classes,
        norm_cfg=_base_.norm_cfg,
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=1.0,
            # mean over labelled pixels, as the hierarchical loss (GTSDB
            # crops are mostly ignore)
            avg_non_ignore=True)))

train_dataloader = dict(
    dataset=dict(datasets=[
        _base_.cityscapes_train, _base_.vistas_train, _base_.gtsdb_flat_train
    ]))
val_evaluator = dict(flat_coarse_nodes=flat_coarse_nodes, fair_protocol=True)
test_evaluator = val_evaluator
