# The usual CIFAR-100 recipe: 200 epochs of batch 128 on one GPU, SGD with Nesterov momentum 0.9,
# weight decay 5e-4, lr 0.1 divided by 10 after epochs 100 and 150; evaluation every epoch (10k images).
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=200, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[100, 150], gamma=0.1)]
# `--auto-scale-lr`-style linear scaling reference: one GPU x 128
auto_scale_lr = dict(base_batch_size=128)

# hooks and logging follow the schedule's unit (epochs here); the best top-1 checkpoint is kept too
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=100),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', interval=10, max_keep_ckpts=3, save_best='accuracy/top1', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'))
log_processor = dict(window_size=100, by_epoch=True)
