# MMT stage 1 on DukeMTMC-reID as the source domain (for Duke -> Market);
# same recipe as the Market-1501 config.
_base_ = ['./reid_r50_1xb64-80e_market1501-source-256x128.py']

dataset_type = 'DukeMTMCDataset'
data_root = 'data/dukemtmc/DukeMTMC-reID'
model = dict(head=dict(num_classes=702))  # DukeMTMC-reID training identities
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
