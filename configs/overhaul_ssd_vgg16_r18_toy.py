# Toy twin of overhaul_ssd_vgg16_r18.py, with the toy teacher trained first by
#   python tools/train.py configs/ssd/ssd300_vgg16_toy.py
_base_ = ['./ssd/ssd300_r18_toy.py', './_base_/distill/ofd_ssd_vgg16_r18.py']

model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    teacher=dict(
        config='configs/ssd/ssd300_vgg16_toy.py',
        checkpoint='work_dirs/ssd300_vgg16_toy/iter_200.pth'),
    # VGG16 has no BN: 'train' and 'eval' coincide for the teacher
    teacher_bn='eval',
    input_size=(300, 300),
    distill_points={{_base_.ofd_points}})

custom_hooks = [
    dict(type='NumClassCheckHook'),
    dict(type='CheckInvalidLossHook', interval=10, priority='VERY_LOW'),
    dict(type='mmkd.TeacherEvalHook', enabled=True),
    dict(type='mmkd.StudentCheckpointHook'),
]
