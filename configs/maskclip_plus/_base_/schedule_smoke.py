# Smoke schedule: 8 iterations, a checkpoint every 4, a log line every iteration. lr 0.1: the
# tiny student starts from random weights and must visibly learn within 8 steps. (Experiments
# using it also set val_dataloader = val_cfg = val_evaluator = None: no validation.)
_base_ = ['./schedule_8k.py']
optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=8, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=8, val_interval=8)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=4, max_keep_ckpts=3))
