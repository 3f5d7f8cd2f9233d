# MaskCLIP+ annotation-free schedule (its COCO-Stuff recipe: 8k iterations, 4 GPUs x 4 images),
# with the repo's runtime: SGD lr 0.01, momentum 0.9, weight decay 5e-4, poly decay (power 0.9)
# to 1e-4 by iteration; validation and a checkpoint at the end (checkpoints every 2k for resume).
# tools/train.py --amp switches the wrapper to AmpOptimWrapper (fp16, dynamic loss scale).
_base_ = ['../../_base_/default_runtime.py']
# pseudo_labels registers PseudoLabelConfidenceThreshold / TeacherPseudoLabel for train pipelines
custom_imports = dict(imports=['proxyseg.mmseg', 'proxyseg.mmseg.pseudo_labels'], allow_failed_imports=False)
optimizer = dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0005)
optim_wrapper = dict(type='OptimWrapper', optimizer=optimizer, clip_grad=None)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=8000, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=8000, val_interval=8000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2000, max_keep_ckpts=2, save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
