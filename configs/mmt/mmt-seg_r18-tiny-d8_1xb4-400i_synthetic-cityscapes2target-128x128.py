# Mutual Mean-Teaching of the tiny hierarchical segmentor: labelled synthetic
# Cityscapes (source) -> unlabelled data/synthetic/cityscapes_target.
# Every batch of 4 holds source : target = 2 : 2 (MultiSourceRatioSampler);
# two peers + two mean nets (MeanNetHook); per peer: hierarchical loss on the
# source labels, hard pseudo labels of the mean nets' averaged leaf
# prediction (CBST class-balanced thresholds: top half of each leaf's pixels,
# capped at 0.9) and the soft hierarchical loss (weight 0.8) against the
# OTHER peer's mean net, each peer on its own SegViewAugment view.
# Stage 1, the source-only checkpoint the peers start from: tools/train.py
# with ./seg-source-only_<same suffix>.py (or tools/experiments/
# mmt_seg_experiment.py, which runs all the stages and arms).
# Two source seeds: --cfg-options model.peer_init="['a.pth','b.pth']".
_base_ = [
    './seg-source-only_r18-tiny-d8_1xb4-400i_synthetic-cityscapes2target-'
    '128x128.py'
]

source_ckpt = ('work_dirs/seg-source-only_r18-tiny-d8_1xb4-400i_synthetic-'
               'cityscapes2target-128x128/iter_400.pth')
batch_size = 4
max_iters = 400

model = dict(
    _delete_=True,
    # the scope mmseg's init_model / MMSegInferencer build it in
    _scope_='mmhier',
    type='SegMutualMeanTeaching',
    model=_base_.model,
    # the runner would otherwise fill in the top-level `data_preprocessor`
    # of the model base file, which lacks the crop size
    data_preprocessor=_base_.model.data_preprocessor,
    target_datasets=['cityscapes_target'],
    peer_init=[source_ckpt],
    lambda_id=0.8,
    pseudo_threshold=0.9,
    class_balanced_portion=0.5,
    loss_seg_soft=dict(type='SoftHierarchicalLoss', routing='soft'),
    loss_seg_hard=dict(type='HierarchicalLoss', loss_name='loss_pseudo'),
    view_augment=dict(
        type='SegViewAugment',
        flip_prob=0.5,
        scale_range=(0.75, 1.0),
        brightness=32,
        contrast_range=(0.7, 1.3),
        saturation_range=(0.7, 1.3)),
    test_net='mean1')

# target images without their labels (labels only for evaluation)
target_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResize', scale=(256, 128), ratio_range=(0.75, 1.5),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=_base_.crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs', meta_keys=_base_.meta_keys),
]
target_train = dict(
    type='HierCityscapesDataset',
    taxonomy=_base_.taxonomy,
    dataset_name='cityscapes_target',
    data_root=_base_.target_root,
    data_prefix=dict(
        img_path='leftImg8bit/train', seg_map_path='gtFine/train'),
    pipeline=target_pipeline)
train_dataloader = dict(
    batch_size=batch_size,
    sampler=dict(
        _delete_=True, type='MultiSourceRatioSampler', source_ratio=[1, 1]),
    # the ratio sampler takes the dataloader's batch_size (the one knob)
    batch_sampler=dict(type='MultiSourceRatioBatchSampler'),
    dataset=dict(
        _delete_=True,
        type='HierConcatDataset',
        taxonomy=_base_.taxonomy,
        datasets=[_base_.source_train, target_train]))

# α = 0.999 as in the paper (and MeanNetHook's default): with the hook's
# warm-up α_t = min(1 - 1/(t+1), α) the mean nets of a 300-iteration
# adaptation are the running average of all iterates so far
custom_hooks = [dict(type='MeanNetHook', alpha=0.999)]
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [
    dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
