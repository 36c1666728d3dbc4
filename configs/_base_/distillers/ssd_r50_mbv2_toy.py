# SSD300 ResNet-50 -> SSDLite MobileNetV2 on the toy VOC detection data (student schedule:
# ssd/ssdlite_mbv2_toy.py). Both detectors read 300x300 inputs, so the teacher's features and the student's
# come at the same strides and sizes.
# A FeatureDistiller with no points yet: method configs inherit this file and add theirs with
# `model = dict(distill_points=dict(<name>=dict(student=..., teacher=..., loss=...)))`.
# Teacher BN in eval mode (running statistics), as the response-, feature- and relation-based methods
# use their teacher; OFD configs set teacher_bn='train' (Heo et al., ICCV 2019).
_base_ = ['../../ssd/ssdlite_mbv2_toy.py']

model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    teacher=dict(
        config='configs/ssd/ssd300_r50_toy.py',
        checkpoint='work_dirs/ssd300_r50_toy/iter_200.pth'),
    teacher_bn='eval',
    input_size=(300, 300),
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
