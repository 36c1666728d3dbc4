# SSD300 ResNet-50 -> ResNet-18 on the toy VOC detection data (student schedule: ssd/ssd300_r18_toy.py).
_base_ = ['../../ssd/ssd300_r18_toy.py', '../feature_distiller.py']

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='configs/ssd/ssd300_r50_toy.py',
        checkpoint='work_dirs/ssd300_r50_toy/iter_200.pth'),
    input_size=(300, 300))
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
