# Toy twin of cls_mbv2_cifar100.py: the same MobileNetV2 classifier on the 10-class toy CIFAR data,
# 200 iterations of batch 32 on the CPU, from random weights.
_base_ = [
    '../_base_/models/cls_mbv2_cifar.py', '../_base_/datasets/toy_cls.py',
    '../_base_/schedules/toy_cls_200it.py', '../_base_/default_runtime_cls.py'
]

model = dict(head=dict(num_classes=10))
