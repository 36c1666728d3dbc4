# ResNet-50 -> ResNet-18 on the toy classification data (student schedule: cls/cls_r18_toy.py).
_base_ = ['../../cls/cls_r18_toy.py', '../feature_distiller.py']

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='configs/cls/cls_r50_toy.py',
        checkpoint='work_dirs/cls_r50_toy/iter_200.pth'),
    input_size=(32, 32))
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
