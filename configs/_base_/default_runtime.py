# Runtime for evaluation with mmengine's Runner (MMSeg conventions).
default_scope = 'mmseg'
custom_imports = dict(imports=['proxyseg.mmseg'], allow_failed_imports=False)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer', alpha=0.5)
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, deterministic=False)
# val_cfg too: the dataset bases set val_dataloader/val_evaluator, and mmengine's Runner refuses a
# config that has those without val_cfg (mmseg's own tools/test.py then works on every config)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
)
custom_hooks = [dict(type='ProgressBarHook')]
# overlays: tools/test.py --show-dir DIR [--show-n N] adds a visualization hook
