# hier_tiny_box-copy-paste.py with batches of Cityscapes:Vistas:GTSDB
# 1:1:2 instead of the paper's 1:2:1: with the paste, twice the GTSDB
# crops per step give the sign classifier about 8 signs per step instead
# of 4, each on a street not its own.
_base_ = ['./hier_tiny_box-copy-paste.py']

train_dataloader = dict(sampler=dict(source_ratio=[1, 1, 2]))
