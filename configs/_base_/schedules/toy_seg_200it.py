# Toy segmentation schedule: mmseg's 40k-iteration schedule (SGD lr 0.01, poly decay) cut to 200
# iterations, evaluated once at the end, a checkpoint every 100 iterations (and at the last) so resuming
# can be tested. Tests shorten it with --cfg-options train_cfg.max_iters=2.
_base_ = 'mmseg::_base_/schedules/schedule_40k.py'

param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=200, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=200, val_interval=200)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(by_epoch=False, interval=100, max_keep_ckpts=3))
