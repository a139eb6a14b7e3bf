# DDP with fp16 gradient compression for the all-reduce (half the bytes on
# the wire; gradients carry fp16 rounding). 'bf16' keeps the range of fp32.
_base_ = ['./ddp.py']
model_wrapper_cfg = dict(comm_hook='fp16')
