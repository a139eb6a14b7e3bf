# Structural pruning + fine-tuning of the re-ID model (ResNet-50, BNNeck).
#
# Starting from a source-trained checkpoint (`load_from`), prune 30% of the
# backbone's channels in 3 steps of 10% (Taylor importance from a real
# training batch, one step per epoch), then fine-tune. The BNNeck head and the
# identity classifier are ignored (their width is the embedding / number of
# identities); the head's inputs follow the backbone automatically, so the
# embedding narrows with backbone.layer4 (add r'^backbone\.layer4\.' to
# ignored_layers to keep it 2048-d).
# For MMT (two peers + two mean nets) prune one net and replay on the others:
#   dict(type='PruningHook', module='peer1',
#        replicate_to=['peer2', 'mean1', 'mean2'], ...)
_base_ = ['../mmt/reid_r50_1xb64-80e_market1501-source-256x128.py']

train_cfg = dict(max_epochs=20, val_interval=5)
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[10, 15], gamma=0.1)
]
custom_hooks = [
    dict(
        type='PruningHook',
        ratio=0.3,
        layers=[r'^backbone\.'],
        ignored_layers=[r'^head\.'],
        importance='taylor',
        iterative_steps=3,
        interval=1,
        by_epoch=True)
]
load_from = None  # set to the source-trained checkpoint
