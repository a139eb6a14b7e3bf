# mmhier runtime defaults (mmseg's default_runtime plus our scope/imports).
default_scope = 'mmhier'
custom_imports = dict(imports=['mmhier'], allow_failed_imports=False)
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
# add dict(type='TensorboardVisBackend') (needs `pip install tensorboard`)
# to also log scalars and images for TensorBoard
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False

# tools/test.py --tta: flip / multi-scale views merged as mean leaf
# log-probabilities, the head's decision rule applied after the merge
tta_model = dict(type='HierSegTTAModel')
