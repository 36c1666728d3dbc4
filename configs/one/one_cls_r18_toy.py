# Toy twin of one_cls_r18_cifar100.py: the same ONE model (3 ResNet-18 branches after stage 3, gate,
# T = 3) on the 10-class toy CIFAR data, 200 iterations of batch 32 on the CPU, from random weights.
_base_ = [
    '../_base_/models/cls_r18_cifar.py', '../_base_/datasets/toy_cls.py',
    '../_base_/schedules/toy_cls_200it.py', '../_base_/default_runtime_cls.py'
]

model = dict(
    type='mmkd.ONEClassifier',
    num_branches=3,
    shared_stages=3,
    kd_loss=dict(type='mmkd.KDLoss', tau=3.0),
    predict_branch=None,
    head=dict(num_classes=10))
