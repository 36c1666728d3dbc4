# Overhaul feature distillation (OFD; Heo et al., ICCV 2019): SSD300 ResNet-50 teacher -> SSD300
# ResNet-18 student on PASCAL VOC 07+12. Data, schedule and runtime are the student's
# (ssd/ssd300_r18_voc0712.py); the OFD points are in _base_/distill/ofd_ssd_r50_r18.py.
_base_ = ['./ssd/ssd300_r18_voc0712.py', './_base_/distill/ofd_ssd_r50_r18.py']

model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    # the teacher's own config and the checkpoint tools/train.py wrote for it
    teacher=dict(
        config='configs/ssd/ssd300_r50_voc0712.py',
        checkpoint='work_dirs/ssd300_r50_voc0712/epoch_24.pth'),
    # teacher BN uses batch statistics, as the paper prescribes; its running statistics stay untouched
    teacher_bn='train',
    # SSD300's extra layers need a 300x300 input to reach their 1x1 map in the dry forward
    input_size=(300, 300),
    distill_points={{_base_.ofd_points}})

custom_hooks = [
    dict(type='NumClassCheckHook'),
    dict(type='CheckInvalidLossHook', interval=50, priority='VERY_LOW'),
    dict(type='mmkd.TeacherEvalHook', enabled=True),
    dict(type='mmkd.StudentCheckpointHook'),
]
