# LARS (mmhier's vectorised one: no host sync per parameter) with no weight
# decay and no trust-ratio adaptation on norm parameters and biases, the
# large-batch recipe of Jia et al. (arXiv:1807.11205, 2018). The step of a
# layer is
# lr * eta * |w| / (|g| + wd * |w|): tune `lr` coarse-to-fine for your
# effective batch (`auto_scale_lr.base_batch_size`).
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='LARS', lr=1.0, momentum=0.9, weight_decay=5e-5, eta=0.001),
    constructor='NoDecayOptimWrapperConstructor',
    clip_grad=None)
