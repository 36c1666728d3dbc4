# The detection runtime for iteration-based (toy) schedules: checkpoints and logs count iterations,
# not epochs. A checkpoint every 100 iterations (and always at the last one) makes resuming testable.
_base_ = './default_runtime_det.py'

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(by_epoch=False, interval=100, max_keep_ckpts=3))
log_processor = dict(window_size=10, by_epoch=False)
custom_hooks = [
    dict(type='NumClassCheckHook'),
    dict(type='CheckInvalidLossHook', interval=10, priority='VERY_LOW')
]
