# LARS + fp16 AMP with dynamic loss scaling + no decay on norms and biases:
# "half-precision training, single-precision LARS and update" (Jia et al.,
# arXiv:1807.11205, 2018).
_base_ = ['./lars_nodecay.py']
optim_wrapper = dict(type='AmpOptimWrapper', dtype='float16',
                     loss_scale='dynamic')
