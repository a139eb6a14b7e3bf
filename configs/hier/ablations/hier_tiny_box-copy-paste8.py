# hier_tiny_box-copy-paste.py with up to 8 pasted GTSDB boxes per crop
# (about 6 signs per crop instead of 4).
_base_ = ['./hier_tiny_box-copy-paste.py']

_gtsdb = _base_.train_dataloader.dataset.datasets[2]
_gtsdb.pipeline[-2] = dict(type='BoxCopyPaste', max_num_pasted=8)
