# Input-pipeline settings: keep workers alive between epochs, pinned host
# memory for asynchronous host-to-device copies, and batches prepared ahead
# of time so the device never waits for data (Jia et al., arXiv:1807.11205,
# 2018: pipelined input).
# Merge into a dataset config's loaders:
#     _base_ = [..., '../_base_/schedules/input_pipeline.py']
#     train_dataloader = dict(**_base_.fast_train_loader)
#     val_dataloader = dict(**_base_.fast_val_loader)
# Check with `python tools/benchmarks/benchmark_dataloader.py CONFIG` that the
# data pipeline outruns the model.
fast_train_loader = dict(
    num_workers=4, persistent_workers=True, pin_memory=True,
    prefetch_factor=4)
fast_val_loader = dict(
    num_workers=2, persistent_workers=True, pin_memory=True,
    prefetch_factor=2)
