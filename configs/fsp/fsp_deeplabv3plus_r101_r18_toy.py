# FSP (Yim et al., "A Gift from Knowledge Distillation: Fast Optimization, Network Minimization and Transfer
# Learning", CVPR 2017): DeepLabV3+ ResNet-101-D8 -> ResNet-18-D8 on the toy VOC segmentation data (128x128
# crops).
# Stage 'fsp' until end_iter=30 (15% of the 200-iteration toy schedule).
# Points and stages: _base_/distill/fsp_deeplabv3plus_r101_r18.py, shared with the real-dataset twin.
_base_ = [
    '../_base_/distillers/deeplabv3plus_r101_r18_toy.py', '../_base_/distill/fsp_deeplabv3plus_r101_r18.py'
]

model = dict(
    distill_points={{_base_.fsp_points}},
    stages={{_base_.fsp_stages.toy}})

find_unused_parameters = True
