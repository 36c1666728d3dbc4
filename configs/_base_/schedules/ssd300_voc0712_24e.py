# SSD300's VOC 07+12 schedule from mmdet's `pascal_voc/ssd300_voc0712.py`: 24 epochs over the 10x
# repeated data, SGD lr 1e-3 for a total batch of 64 (8 GPUs x 8), 500-iteration linear warm-up, lr x0.1
# after epochs 16 and 20.
_base_ = 'mmdet::_base_/schedules/schedule_2x.py'

optim_wrapper = dict(optimizer=dict(lr=1e-3, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=24, by_epoch=True, milestones=[16, 20], gamma=0.1)
]
# mmdet scales the lr linearly when launched with --auto-scale-lr and a different total batch
auto_scale_lr = dict(base_batch_size=64)
