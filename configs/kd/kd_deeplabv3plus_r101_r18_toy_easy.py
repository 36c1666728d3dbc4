# Hinton KD (Hinton et al., "Distilling the Knowledge in a Neural Network", 2015), pixel-wise: DeepLabV3+
# ResNet-101 -> ResNet-18 on the easy toy set (128x128 crops, both from backbones pretrained on the easy toy
# images; the toy twin's crop and output stride 16, so its feature sizes). Points:
# _base_/distill/kd_deeplabv3plus_r101_r18.py, shared with the toy and real-dataset twins.
_base_ = [
    '../_base_/distillers/deeplabv3plus_r101_r18_toy_easy.py', '../_base_/distill/kd_deeplabv3plus_r101_r18.py'
]

model = dict(
    distill_points={{_base_.kd_points}})
