# AB (Heo et al., "Knowledge Transfer via Distillation of Activation Boundaries Formed by Hidden Neurons",
# AAAI 2019): ResNet-50 -> ResNet-18 on the toy classification data (10 classes, 32x32).
# Stage 'ab' until end_iter=30 (15% of the 200-iteration toy schedule).
# Points and stages: _base_/distill/ab_cls_r50_r18.py, shared with the real-dataset twin.
_base_ = ['../_base_/distillers/cls_r50_r18_toy.py', '../_base_/distill/ab_cls_r50_r18.py']

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.1))),
    distill_points={{_base_.ab_points}},
    stages={{_base_.ab_stages.toy}},
    diagnostics=dict(student='head.fc', teacher='head.fc'))

find_unused_parameters = True
