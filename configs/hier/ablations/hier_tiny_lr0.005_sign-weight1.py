# Ablation of hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py: lr 0.005
# and the sign classifier's loss weight 1.0, so that the whole network and
# the sign branch train at the step where the sign classifier probe learns
# best with 1-2 signs per step (sign_classifier_probe.py --batch 2
# --lr 0.005, docs/experiments.md).
_base_ = ['../hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py']

optim_wrapper = dict(optimizer=dict(lr=0.005))
model = dict(
    decode_head=dict(
        loss_decode=dict(node_weights={'traffic sign front': 1.0})))
