# Linear lr scaling with the effective batch size
#     world_size x batch_size x optim_wrapper.accumulative_counts
# (mmengine's own Runner ignores accumulative_counts). `base_batch_size` is
# the effective batch the optimizer's lr was tuned for.
runner_type = 'mmhier.engine.optimizers.AccumulationAwareRunner'
auto_scale_lr = dict(enable=True, base_batch_size=16)
