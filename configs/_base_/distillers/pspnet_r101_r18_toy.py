# PSPNet ResNet-101-D8 -> ResNet-18-D8 on the toy shapes in the Cityscapes layout
# (student schedule: pspnet/pspnet_r18_toy.py).
# The teacher is trained first:
#   python tools/train.py configs/pspnet/pspnet_r101_toy.py
# writes work_dirs/pspnet_r101_toy/iter_200.pth, the checkpoint below.
_base_ = ['../../pspnet/pspnet_r18_toy.py', '../feature_distiller.py']

# the distiller uses the student's data_preprocessor (inside `student`)
data_preprocessor = None

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='configs/pspnet/pspnet_r101_toy.py',
        checkpoint='work_dirs/pspnet_r101_toy/iter_200.pth'),
    input_size={{_base_.crop_size}})
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
