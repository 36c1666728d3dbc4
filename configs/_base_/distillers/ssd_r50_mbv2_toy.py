# SSD300 ResNet-50 -> SSDLite MobileNetV2 on the toy VOC detection data (student schedule:
# ssd/ssdlite_mbv2_toy.py). Both detectors read 300x300 inputs, so the teacher's features and the student's
# come at the same strides and sizes.
_base_ = ['../../ssd/ssdlite_mbv2_toy.py', '../feature_distiller.py']

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='configs/ssd/ssd300_r50_toy.py',
        checkpoint='work_dirs/ssd300_r50_toy/iter_200.pth'),
    input_size=(300, 300))
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
