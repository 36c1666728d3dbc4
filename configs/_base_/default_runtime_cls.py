# Runtime of the classification configs. default_scope='mmkd' makes bare names resolve in mmkd's
# registries first and then in mmengine's (hooks, loops, optimizers, mmcv transforms); mmdet/mmseg parts
# are named with their prefix (mmdet.ResNet, mmseg.MobileNetV2). Hooks and log_processor live in the
# schedule files, since they count epochs or iterations as the schedule does.
default_scope = 'mmkd'

env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends, name='visualizer')

log_level = 'INFO'
load_from = None
resume = False
