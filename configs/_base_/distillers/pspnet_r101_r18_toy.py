# PSPNet ResNet-101-D8 -> ResNet-18-D8 on the toy shapes in the Cityscapes layout
# (student schedule: pspnet/pspnet_r18_toy.py).
# A FeatureDistiller with no points yet: method configs (configs/<method>/) inherit this file and add
# theirs with `model = dict(distill_points=dict(<name>=dict(student=..., teacher=..., loss=...)))`.
# Teacher BN in eval mode (running statistics), as the methods configured here use their teacher.
# The teacher is trained first:
#   python tools/train.py configs/pspnet/pspnet_r101_toy.py
# writes work_dirs/pspnet_r101_toy/iter_200.pth, the checkpoint below.
_base_ = ['../../pspnet/pspnet_r18_toy.py']

# the distiller uses the student's data_preprocessor (inside `student`)
data_preprocessor = None

model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    teacher=dict(
        config='configs/pspnet/pspnet_r101_toy.py',
        checkpoint='work_dirs/pspnet_r101_toy/iter_200.pth'),
    teacher_bn='eval',
    input_size={{_base_.crop_size}},
    distill_points=dict())

# TeacherEvalHook evaluates the teacher on the val set before training (logged as teacher/<metric>);
# --cfg-options teacher_eval=False skips it, e.g. for short smoke runs
teacher_eval = True
custom_hooks = [
    dict(type='mmkd.TeacherEvalHook'),
    dict(type='mmkd.StudentCheckpointHook'),
]
