# FitNets (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015), two stages in one run: DeepLabV3+
# ResNet-101-D8 -> ResNet-18-D8 on the toy VOC segmentation data (128x128 crops).
# Stage 'hint' until end_iter=30 (15% of the 200-iteration toy schedule).
# Points and stages: _base_/distill/fitnets_deeplabv3plus_r101_r18.py, shared with the real-dataset twin.
_base_ = [
    '../_base_/distillers/deeplabv3plus_r101_r18_toy.py', '../_base_/distill/fitnets_deeplabv3plus_r101_r18.py'
]

model = dict(
    distill_points={{_base_.fitnets_points}},
    stages={{_base_.fitnets_stages.toy}})

find_unused_parameters = True
