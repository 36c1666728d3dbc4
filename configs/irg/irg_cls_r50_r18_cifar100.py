# IRG (Liu et al., "Knowledge Distillation via Instance Relationship Graph", CVPR 2019): ResNet-50 ->
# ResNet-18 on CIFAR-100.
# Points: _base_/distill/irg_cls_r50_r18.py, shared with the toy twin.
_base_ = ['../_base_/distillers/cls_r50_r18_cifar100.py', '../_base_/distill/irg_cls_r50_r18.py']

model = dict(
    distill_points={{_base_.irg_points}},
    diagnostics=dict(student='head.fc', teacher='head.fc'))
