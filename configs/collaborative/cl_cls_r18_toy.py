# Toy twin of cl_cls_r18_cifar100.py: the same 4-head collaborative ResNet-18 (split after stages 2 and 3,
# fan-outs 2 x 2, T = 2, beta = 0.5) on the 10-class toy CIFAR data, 200 iterations of batch 32 on the CPU.
_base_ = [
    '../_base_/models/cls_r18_cifar.py', '../_base_/datasets/toy_cls.py',
    '../_base_/schedules/toy_cls_200it.py', '../_base_/default_runtime_cls.py'
]

model = dict(
    type='mmkd.CollaborativeClassifier',
    split_stages=(2, 3),
    fan_outs=(2, 2),
    kd_loss=dict(type='mmkd.KDLoss', tau=2.0),
    beta=0.5,
    rescale_grad=True,
    predict_head=0,
    head=dict(num_classes=10))
