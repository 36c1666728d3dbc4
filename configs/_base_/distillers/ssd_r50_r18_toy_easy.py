# SSD160 ResNet-50 -> ResNet-18 on the easy toy set: the student config with its model wrapped in a
# FeatureDistiller. The teacher is trained (once per machine, cached) and linked by
#   python tools/misc/cached_train.py configs/ssd/ssd160_r50_toy_easy.py --iters 2000 \
#       --link data/toy_easy/teachers/ssd160_r50.pth
_base_ = ['../../ssd/ssd160_r18_toy_easy.py']

model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    teacher=dict(
        config='configs/ssd/ssd160_r50_toy_easy.py',
        checkpoint='data/toy_easy/teachers/ssd160_r50.pth'),
    teacher_bn='eval',
    input_size=(160, 160),
    distill_points=dict())

# TeacherEvalHook evaluates the teacher on the val set before training (logged as teacher/<metric>);
# --cfg-options teacher_eval=False skips it, e.g. for short smoke runs
teacher_eval = True
custom_hooks = [
    dict(type='NumClassCheckHook'),
    dict(type='CheckInvalidLossHook', interval=10, priority='VERY_LOW'),
    dict(type='mmkd.TeacherEvalHook'),
    dict(type='mmkd.StudentCheckpointHook'),
]
