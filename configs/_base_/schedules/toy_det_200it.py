# Toy detection schedule: 200 iterations of batch 8 (SSD300-ResNet-18: 2-4 s an iteration on 2 CPU
# cores; see docs/configs.md), evaluated once at the end. Models start from random weights, so the lr
# is higher than SSD300's fine-tuning lr and the gradient norm is clipped to keep the first iterations
# stable.
# Tests shorten it with --cfg-options train_cfg.max_iters=2 (validation and a checkpoint still happen
# at the last iteration).
train_cfg = dict(type='IterBasedTrainLoop', max_iters=200, val_interval=200)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', T_max=180, eta_min=1e-4, by_epoch=False, begin=20, end=200)
]
