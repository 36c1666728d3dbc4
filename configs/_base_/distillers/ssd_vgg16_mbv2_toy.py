# SSD300 VGG16 (mmdet's) -> SSDLite MobileNetV2 on the toy VOC detection data (student schedule:
# ssd/ssdlite_mbv2_toy.py). Both detectors read 300x300 inputs.
# A FeatureDistiller with no points yet: method configs inherit this file and add theirs with
# `model = dict(distill_points=dict(<name>=dict(student=..., teacher=..., loss=...)))`.
# VGG16 has no BN: teacher_bn='train' and 'eval' coincide for the teacher. The teacher normalises inputs
# with std 1 (caffe VGG), the student with the ImageNet std: the distiller re-normalises the shared batch
# for the teacher.
_base_ = ['../../ssd/ssdlite_mbv2_toy.py']

model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    teacher=dict(
        config='configs/ssd/ssd300_vgg16_toy.py',
        checkpoint='work_dirs/ssd300_vgg16_toy/iter_200.pth'),
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
