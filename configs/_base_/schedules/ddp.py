# DistributedDataParallel tuning, used when launched with
# `tools/dist_train.sh` (--launcher pytorch). Ignored in one process.
model_wrapper_cfg = dict(
    type='mmhier.engine.ddp_wrapper.CommHookDistributedDataParallel',
    # gradient fusion: all-reduce in buckets of this many MiB (fewer,
    # larger messages; raise it on slow interconnects).
    bucket_cap_mb=25,
    # gradients live inside the all-reduce buckets: no copy, less memory.
    gradient_as_bucket_view=True,
    # True only when the set of used parameters and the graph never change
    # between iterations (allows more overlap); keep False for models that
    # skip branches, e.g. hierarchical classifiers without pixels.
    static_graph=False,
    # Only where some parameters get no gradient in an iteration; it costs
    # a graph traversal per step.
    find_unused_parameters=False,
    # mmengine's default: BN running statistics stay per process.
    broadcast_buffers=False,
    # 'fp16' / 'bf16': compress gradients for the all-reduce.
    comm_hook=None)
