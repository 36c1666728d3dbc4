# AB (Heo et al., "Knowledge Transfer via Distillation of Activation Boundaries Formed by Hidden Neurons",
# AAAI 2019): SSD300 ResNet-50 -> ResNet-18 on the toy VOC detection data (300x300).
# Stage 'ab' until end_iter=30 (15% of the 200-iteration toy schedule).
# Points and stages: _base_/distill/ab_ssd_r50_r18.py, shared with the real-dataset twin.
_base_ = ['../_base_/distillers/ssd_r50_r18_toy.py', '../_base_/distill/ab_ssd_r50_r18.py']

model = dict(
    distill_points={{_base_.ab_points}},
    stages={{_base_.ab_stages.toy}})

find_unused_parameters = True
