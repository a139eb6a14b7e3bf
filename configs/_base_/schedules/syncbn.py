# Convert every BatchNorm to torch's SyncBatchNorm when training with DDP
# (statistics over the global batch; needed for small per-GPU batches such
# as segmentation crops). 'mmcv' selects mmcv's MMSyncBN. One process keeps
# plain BatchNorm (mmengine reverts SyncBN there).
sync_bn = 'torch'
