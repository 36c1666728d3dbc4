# DeepLabV3+ ResNet-101 -> MobileNetV2 on VOC12 aug, 512x512
# (student schedule: deeplabv3plus/deeplabv3plus_mbv2_voc12aug.py).
# A FeatureDistiller with no points yet: method configs (configs/<method>/) inherit this file and add
# theirs with `model = dict(distill_points=dict(<name>=dict(student=..., teacher=..., loss=...)))`.
# Teacher BN in eval mode (running statistics), as the response-, feature- and relation-based methods
# use their teacher; OFD configs set teacher_bn='train' (Heo et al., ICCV 2019).
_base_ = ['../../deeplabv3plus/deeplabv3plus_mbv2_voc12aug.py']

# the distiller uses the student's data_preprocessor (inside `student`)
data_preprocessor = None

model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    teacher=dict(
        config='configs/deeplabv3plus/deeplabv3plus_r101_voc12aug.py',
        checkpoint='work_dirs/deeplabv3plus_r101_voc12aug/iter_40000.pth'),
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
