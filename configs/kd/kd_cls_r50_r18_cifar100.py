# Hinton KD (Hinton et al., "Distilling the Knowledge in a Neural Network", 2015): ResNet-50 -> ResNet-18
# on CIFAR-100. Soft targets: tau^2 * KL(softmax(t / tau) || softmax(s / tau)) on the
# Points: _base_/distill/kd_cls_r50_r18.py, shared with the toy twin.
# Teacher, trained first (no published checkpoint of this 32 px ResNet-50 exists):
#   python tools/train.py configs/cls/cls_r50_cifar100.py  -> work_dirs/cls_r50_cifar100/epoch_200.pth
# Data: data/cifar-100-python (docs/data_preparation.md).
_base_ = ['../_base_/distillers/cls_r50_r18_cifar100.py', '../_base_/distill/kd_cls_r50_r18.py']

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.1))),
    distill_points={{_base_.kd_points}},
    diagnostics=dict(student='head.fc', teacher='head.fc'))
