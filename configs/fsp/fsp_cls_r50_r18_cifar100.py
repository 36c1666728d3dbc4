# FSP (Yim et al., "A Gift from Knowledge Distillation: Fast Optimization, Network Minimization and Transfer
# Learning", CVPR 2017): ResNet-50 -> ResNet-18 on CIFAR-100.
# Stage 'fsp' until end_epoch=30 (15% of the 200-epoch CIFAR-100 schedule).
# Points and stages: _base_/distill/fsp_cls_r50_r18.py, shared with the toy twin.
# Teacher, trained first (no published checkpoint of this 32 px ResNet-50 exists):
#   python tools/train.py configs/cls/cls_r50_cifar100.py  -> work_dirs/cls_r50_cifar100/epoch_200.pth
# Data: data/cifar-100-python (docs/data_preparation.md).
_base_ = ['../_base_/distillers/cls_r50_r18_cifar100.py', '../_base_/distill/fsp_cls_r50_r18.py']

model = dict(
    distill_points={{_base_.fsp_points}},
    stages={{_base_.fsp_stages.cifar100}},
    diagnostics=dict(student='head.fc', teacher='head.fc'))

find_unused_parameters = True
