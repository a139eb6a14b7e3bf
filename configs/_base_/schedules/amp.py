# Mixed-precision pieces. Merge one into your optim_wrapper:
#     _base_ = [..., '../_base_/schedules/sgd_nodecay.py',
#               '../_base_/schedules/amp.py']
#     optim_wrapper = dict(**_base_.amp_fp16)
# (or `python tools/train.py CONFIG --amp`, which selects dynamic-scale
# AmpOptimWrapper with the default dtype).
# The model keeps float32 parameters (master weights); autocast runs the
# forward ops in 16 bit; the GradScaler unscales the gradients before the
# optimizer step, so LARS computes its trust ratio on true gradients.
# fp16: dynamic loss scale (doubles every 2000 clean steps, halves and skips
# the step on inf/NaN).
amp_fp16 = dict(type='AmpOptimWrapper', dtype='float16', loss_scale='dynamic')
# bf16 has float32's exponent range: no loss scaling needed (a constant
# scale of 1 keeps the inf/NaN step skipping). Works on CPU too.
amp_bf16 = dict(type='AmpOptimWrapper', dtype='bfloat16', loss_scale=1.0)
