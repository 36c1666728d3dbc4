# ResNet-50 -> MobileNetV2 on CIFAR-100 (student schedule: cls/cls_mbv2_cifar100.py).
_base_ = ['../../cls/cls_mbv2_cifar100.py', '../feature_distiller.py']

# The teacher is trained first: OpenMMLab publishes no 32 px CIFAR-100 ResNet-50 of this architecture.
#   python tools/train.py configs/cls/cls_r50_cifar100.py
# writes work_dirs/cls_r50_cifar100/epoch_200.pth (200 epochs), the checkpoint below.

model = dict(
    _base_.pop('distiller'),
    student={{_base_.model}},
    teacher=dict(
        config='configs/cls/cls_r50_cifar100.py',
        checkpoint='work_dirs/cls_r50_cifar100/epoch_200.pth'),
    input_size=(32, 32))
custom_hooks = _base_.get('custom_hooks', []) + _base_.pop('distiller_hooks')
