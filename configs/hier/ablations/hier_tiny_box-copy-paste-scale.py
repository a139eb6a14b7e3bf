# hier_tiny_box-copy-paste.py with every pasted GTSDB box resized by a
# factor drawn log-uniformly from 0.7-1.4: each training sign is also seen
# at other sizes.
_base_ = ['./hier_tiny_box-copy-paste.py']

_gtsdb = _base_.train_dataloader.dataset.datasets[2]
_gtsdb.pipeline[-2] = dict(
    type='BoxCopyPaste', max_num_pasted=4, scale_range=(0.7, 1.4))
