# SSD300 VGG16 (mmdet's) -> SSDLite MobileNetV2 on the toy VOC detection data (student schedule:
# ssd/ssdlite_mbv2_toy.py). Both detectors read 300x300 inputs.
# VGG16 has no BN: teacher_bn='train' and 'eval' coincide for the teacher. The teacher normalises inputs
# with std 1 (caffe VGG), the student with the ImageNet std: the distiller re-normalises the shared batch
# for the teacher.
_base_ = ['../../ssd/ssdlite_mbv2_toy.py', '../feature_distiller.py']

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='configs/ssd/ssd300_vgg16_toy.py',
        checkpoint='work_dirs/ssd300_vgg16_toy/iter_200.pth'),
    input_size=(300, 300))
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
