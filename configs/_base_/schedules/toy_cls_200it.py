# Toy classification schedule: 200 iterations of batch 32 on the CPU, evaluated once at the end, with a
# checkpoint every 100 iterations (and at the last) so resuming can be tested. SGD as for CIFAR-100,
# with a short linear warm-up and a cosine decay to fit 200 iterations. Tests shorten it with
# --cfg-options train_cfg.max_iters=2.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=200, val_interval=200)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=10),
    dict(type='CosineAnnealingLR', T_max=190, eta_min=1e-4, by_epoch=False, begin=10, end=200)
]

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=10),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=100, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'))
log_processor = dict(window_size=10, by_epoch=False)
