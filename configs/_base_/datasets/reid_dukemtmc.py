# DukeMTMC-reID: same recipe as reid_market1501.py.
_base_ = ['./reid_market1501.py']
dataset_type = 'DukeMTMCDataset'
data_root = 'data/dukemtmc/DukeMTMC-reID'

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
