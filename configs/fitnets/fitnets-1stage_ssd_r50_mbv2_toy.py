# FitNets (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015), single stage: SSD300 ResNet-50 ->
# SSDLite MobileNetV2 on the toy VOC detection data (300x300). The hint loss is added to the student's own
# losses (weight 1) from the first iteration: the one-stage variant of the benchmarks (e.g. Tian et al.,
# ICLR 2020); fitnets_ssd_r50_mbv2_toy.py holds the paper's two stages.
# Points: _base_/distill/fitnets_ssd_r50_mbv2.py (the two-stage configs' hint point, without their stages),
# shared with the real-dataset twin.
_base_ = ['../_base_/distillers/ssd_r50_mbv2_toy.py', '../_base_/distill/fitnets_ssd_r50_mbv2.py']

model = dict(
    distill_points={{_base_.fitnets_points}})
