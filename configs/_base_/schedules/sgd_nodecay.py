# SGD with momentum, no weight decay on norm parameters and biases.
# Values from the hierarchical-segmentation paper (Meletis & Dubbelman 2018):
# lr 0.01, momentum 0.9, weight decay 0.00017. The lr is for the effective
# batch `auto_scale_lr.base_batch_size` of lr_scaling.py.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.00017),
    # every norm-layer parameter (by module type) and every bias: weight
    # decay 0 and lars_exclude=True; custom_keys keep working on top.
    constructor='NoDecayOptimWrapperConstructor',
    clip_grad=None)
