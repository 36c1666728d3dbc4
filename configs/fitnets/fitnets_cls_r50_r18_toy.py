# FitNets (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015), two stages in one run: ResNet-50 ->
# ResNet-18 on the toy classification data (10 classes, 32x32).
# Stage 'hint' until end_iter=30 (15% of the 200-iteration toy schedule).
# Points and stages: _base_/distill/fitnets_cls_r50_r18.py, shared with the real-dataset twin.
_base_ = ['../_base_/distillers/cls_r50_r18_toy.py', '../_base_/distill/fitnets_cls_r50_r18.py']

model = dict(
    student=dict(head=dict(loss=dict(loss_weight=0.1))),
    distill_points={{_base_.fitnets_points}},
    stages={{_base_.fitnets_stages.toy}},
    diagnostics=dict(student='head.fc', teacher='head.fc'))

find_unused_parameters = True
