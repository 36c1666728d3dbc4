# DeepLabV3+ ResNet-101 -> MobileNetV2 on the toy VOC segmentation data
# (student schedule: deeplabv3plus/deeplabv3plus_mbv2_toy.py).
_base_ = ['../../deeplabv3plus/deeplabv3plus_mbv2_toy.py', '../feature_distiller.py']

# the distiller uses the student's data_preprocessor (inside `student`)
data_preprocessor = None

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='configs/deeplabv3plus/deeplabv3plus_r101_toy.py',
        checkpoint='work_dirs/deeplabv3plus_r101_toy/iter_200.pth'),
    input_size={{_base_.crop_size}})
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
