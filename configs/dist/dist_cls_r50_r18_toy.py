# DIST (Huang et al., "Knowledge Distillation from A Stronger Teacher", NeurIPS 2022): ResNet-50 -> ResNet-18
# on the toy classification data (10 classes, 32x32).
# Points: _base_/distill/dist_cls_r50_r18.py, shared with the real-dataset twin.
_base_ = ['../_base_/distillers/cls_r50_r18_toy.py', '../_base_/distill/dist_cls_r50_r18.py']

model = dict(
    distill_points={{_base_.dist_points}},
    diagnostics=dict(student='head.fc', teacher='head.fc'))
