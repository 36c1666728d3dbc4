# FitNets (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015), two stages in one run: SSD300
# ResNet-50 -> SSDLite MobileNetV2 on the toy VOC detection data (300x300).
# Stage 'hint' until end_iter=30 (15% of the 200-iteration toy schedule).
# Points and stages: _base_/distill/fitnets_ssd_r50_mbv2.py, shared with the real-dataset twin.
_base_ = ['../_base_/distillers/ssd_r50_mbv2_toy.py', '../_base_/distill/fitnets_ssd_r50_mbv2.py']

model = dict(
    distill_points={{_base_.fitnets_points}},
    stages={{_base_.fitnets_stages.toy}})

find_unused_parameters = True
