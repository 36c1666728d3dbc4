# FitNets (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015), single stage: ResNet-50 ->
# ResNet-18 on the toy classification data (10 classes, 32x32).
# Points: _base_/distill/fitnets-1stage_cls_r50_r18.py, shared with the real-dataset twin.
_base_ = ['../_base_/distillers/cls_r50_r18_toy.py', '../_base_/distill/fitnets-1stage_cls_r50_r18.py']

model = dict(
    distill_points={{_base_.fitnets_1stage_points}},
    diagnostics=dict(student='head.fc', teacher='head.fc'))
