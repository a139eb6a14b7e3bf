# cvg_1x4_ratio121.py for the flat baseline: GTSDB boxes are filled with the
# sign's outline and trained as per-pixel labels (Meletis & Dubbelman, IV
# 2018, Sec. V-C); everything else is the same.
_base_ = ['./cvg_1x4_ratio121.py']

train_dataloader = dict(
    dataset=dict(datasets=[
        _base_.cityscapes_train, _base_.vistas_train, _base_.gtsdb_flat_train
    ]))
