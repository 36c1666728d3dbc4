# mmdet's runtime (hooks, logging, visualizer, default_scope='mmdet') plus the two checks mmdet's SSD
# configs add: the head's num_classes must match the dataset's, and a NaN/inf loss stops training.
_base_ = 'mmdet::_base_/default_runtime.py'

custom_hooks = [
    dict(type='NumClassCheckHook'),
    dict(type='CheckInvalidLossHook', interval=50, priority='VERY_LOW')
]
