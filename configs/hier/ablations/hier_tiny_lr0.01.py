# Ablation of hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py: the
# paper's learning rate 0.01 instead of 0.05. The sign classifier probe
# (tools/experiments/sign_classifier_probe.py --input native --batch 2)
# learns the 43 classes at lr 0.005-0.01 and not at all at 0.05 with the 1-2
# signs a GTSDB crop gives each step (docs/experiments.md).
_base_ = ['../hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py']

optim_wrapper = dict(optimizer=dict(lr=0.01))
