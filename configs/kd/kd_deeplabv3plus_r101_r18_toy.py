# Hinton KD (Hinton et al., "Distilling the Knowledge in a Neural Network", 2015), pixel-wise: DeepLabV3+
# ResNet-101-D8 -> ResNet-18-D8 on the toy VOC segmentation data (128x128 crops).
# Points: _base_/distill/kd_deeplabv3plus_r101_r18.py, shared with the real-dataset twin.
_base_ = [
    '../_base_/distillers/deeplabv3plus_r101_r18_toy.py', '../_base_/distill/kd_deeplabv3plus_r101_r18.py'
]

model = dict(
    distill_points={{_base_.kd_points}})
