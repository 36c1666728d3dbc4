# OFD (Heo et al., ICCV 2019): mmdet's SSD300 VGG16 teacher -> SSD300 ResNet-18 student on PASCAL VOC 07+12.
# The teacher normalises inputs with std 1 (caffe VGG), the student with the ImageNet std: the distiller
# re-normalises the shared batch for the teacher.
_base_ = ['./ssd/ssd300_r18_voc0712.py', './_base_/distill/ofd_ssd_vgg16_r18.py']

model = dict(
    _delete_=True,
    type='mmkd.FeatureDistiller',
    student={{_base_.model}},
    teacher=dict(
        config='configs/ssd/ssd300_vgg16_voc0712.py',
        checkpoint='work_dirs/ssd300_vgg16_voc0712/epoch_24.pth'),
    # VGG16 has no BN: 'train' and 'eval' coincide for the teacher
    teacher_bn='eval',
    input_size=(300, 300),
    distill_points={{_base_.ofd_points}})

custom_hooks = [
    dict(type='NumClassCheckHook'),
    dict(type='CheckInvalidLossHook', interval=50, priority='VERY_LOW'),
    dict(type='mmkd.TeacherEvalHook', enabled=True),
    dict(type='mmkd.StudentCheckpointHook'),
]
