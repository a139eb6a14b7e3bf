# Ablation of hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py: up to
# 4 GTSDB boxes cut from earlier training crops pasted into every GTSDB
# crop (BoxCopyPaste), so the sign classifier sees about twice as many
# signs per step at the same cost. Test unchanged.
_base_ = ['../hier_r18-tiny-d8_1xb4-800i_synthetic-cvg-128x128.py']

_gtsdb = _base_.train_dataloader.dataset.datasets[2]
_gtsdb.pipeline.insert(-1, dict(type='BoxCopyPaste', max_num_pasted=4))
