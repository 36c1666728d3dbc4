# FitNets (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015), two stages in one run: ResNet-50 ->
# ResNet-18 on CIFAR-100.
# Stage 'hint' until end_epoch=30 (15% of the 200-epoch CIFAR-100 schedule).
# Points and stages: _base_/distill/fitnets_cls_r50_r18.py, shared with the toy twin.
# Teacher, trained first (no published checkpoint of this 32 px ResNet-50 exists):
#   python tools/train.py configs/cls/cls_r50_cifar100.py  -> work_dirs/cls_r50_cifar100/epoch_200.pth
# Data: data/cifar-100-python (docs/data_preparation.md).
_base_ = ['../_base_/distillers/cls_r50_r18_cifar100.py', '../_base_/distill/fitnets_cls_r50_r18.py']

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.1))),
    distill_points={{_base_.fitnets_points}},
    stages={{_base_.fitnets_stages.cifar100}},
    diagnostics=dict(student='head.fc', teacher='head.fc'))

find_unused_parameters = True
