# ResNet-50 on CIFAR-100 (the classification teacher), from scratch: 200 epochs, batch 128, one GPU.
_base_ = [
    '../_base_/models/cls_r50_cifar.py', '../_base_/datasets/cifar100.py',
    '../_base_/schedules/cifar100_200e.py', '../_base_/default_runtime_cls.py'
]
