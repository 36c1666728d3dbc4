# SSD300 ResNet-50 -> ResNet-18 on PASCAL VOC 07+12 (student schedule: ssd/ssd300_r18_voc0712.py).
# A FeatureDistiller with no points yet: method configs (configs/<method>/) inherit this file and add
# theirs with `model = dict(distill_points=dict(<name>=dict(student=..., teacher=..., loss=...)))`.
# Teacher BN in eval mode (running statistics), as the response-, feature- and relation-based methods
# use their teacher; OFD configs set teacher_bn='train' (Heo et al., ICCV 2019).
_base_ = ['../../ssd/ssd300_r18_voc0712.py']

# The teacher is trained first: OpenMMLab publishes no SSD300 with a ResNet-50 backbone.
#   python tools/train.py configs/ssd/ssd300_r50_voc0712.py
# writes work_dirs/ssd300_r50_voc0712/epoch_24.pth (24 epochs), the checkpoint below.

model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    teacher=dict(
        config='configs/ssd/ssd300_r50_voc0712.py',
        checkpoint='work_dirs/ssd300_r50_voc0712/epoch_24.pth'),
    teacher_bn='eval',
    input_size=(300, 300),
    distill_points=dict())

# TeacherEvalHook evaluates the teacher on the val set before training (logged as teacher/<metric>);
# --cfg-options teacher_eval=False skips it, e.g. for short smoke runs
teacher_eval = True
custom_hooks = [
    dict(type='NumClassCheckHook'),
    dict(type='CheckInvalidLossHook', interval=50, priority='VERY_LOW'),
    dict(type='mmkd.TeacherEvalHook'),
    dict(type='mmkd.StudentCheckpointHook'),
]
