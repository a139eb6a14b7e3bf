# Re-ID model of MMT (Ge et al., ICLR 2020): ImageNet ResNet-50 with last
# stride 1, global average pooling, BNNeck and a bias-free classifier.
# Set head.num_classes to the number of training identities of the dataset.
model = dict(
    type='ReIDModel',
    data_preprocessor=dict(
        type='mmpretrain.ClsDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=50,
        strides=(1, 2, 2, 1),  # last stride 1: 16x8 maps for 256x128 input
        out_indices=(3, ),
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    neck=dict(type='mmpretrain.GlobalAveragePooling'),
    head=dict(
        type='ReIDHead',
        in_channels=2048,
        num_classes=751,
        loss_cls=dict(type='LabelSmoothCrossEntropyLoss', epsilon=0.1),
        loss_triplet=dict(type='SoftmaxTripletLoss')))
