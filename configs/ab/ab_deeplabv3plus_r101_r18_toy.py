# AB (Heo et al., "Knowledge Transfer via Distillation of Activation Boundaries Formed by Hidden Neurons",
# AAAI 2019): DeepLabV3+ ResNet-101-D8 -> ResNet-18-D8 on the toy VOC segmentation data (128x128 crops).
# Stage 'ab' until end_iter=30 (15% of the 200-iteration toy schedule).
# Points and stages: _base_/distill/ab_deeplabv3plus_r101_r18.py, shared with the real-dataset twin.
_base_ = [
    '../_base_/distillers/deeplabv3plus_r101_r18_toy.py', '../_base_/distill/ab_deeplabv3plus_r101_r18.py'
]

model = dict(
    distill_points={{_base_.ab_points}},
    stages={{_base_.ab_stages.toy}})

find_unused_parameters = True
