# Synthetic re-ID target domain (Market-1501 layout recorded with 8 cameras,
# a different look from the source), written by
# tools/dataset_converters/generate_synthetic.py. Labels are used for
# evaluation only.
_base_ = ['./reid_synthetic_source.py']
data_root = 'data/synthetic/reid_target'

train_dataloader = dict(dataset=dict(data_root=data_root, num_cameras=8))
val_dataloader = dict(dataset=dict(data_root=data_root, num_cameras=8))
test_dataloader = val_dataloader
