# Structural pruning + fine-tuning of the hierarchical segmentor.
#
# Start from a trained hierarchical ResNet-50-D8 checkpoint (`load_from`),
# remove 50% of the backbone's channels (L2 magnitude, per layer, channel
# counts rounded to multiples of 8) before the first iteration, then fine-tune
# for 8k iterations. Checkpoints carry the pruning history as plain data, so
# `tools/test.py THIS_CONFIG CKPT` and `--resume` rebuild the pruned shapes.
#
#   python tools/train.py configs/pruning/THIS.py \
#       --cfg-options load_from=work_dirs/hier_r50/iter_80000.pth
_base_ = [
    '../_base_/models/hier_r50-d8.py',
    '../_base_/datasets/cvg_1x4_ratio121.py',
    '../_base_/schedules/warmup-poly_80k.py', '../_base_/default_runtime.py'
]
crop_size = (512, 706)
model = dict(data_preprocessor=dict(size=crop_size))

max_iters = 8000
train_cfg = dict(max_iters=max_iters, val_interval=2000)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=200),
    dict(type='PolyLR', eta_min=1e-4, power=0.9, by_epoch=False, begin=200,
         end=max_iters)
]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2000))

custom_hooks = [
    dict(
        type='PruningHook',
        ratio=0.5,
        layers=[r'^backbone\.'],  # the whole backbone ...
        ignored_layers=[r'^decode_head\.'],  # ... never the hierarchy head
        importance='magnitude',
        global_pruning=False,
        round_to=8,
        iterative_steps=1)
]
load_from = None  # set to the trained (unpruned) checkpoint
