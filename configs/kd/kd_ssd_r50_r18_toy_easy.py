# Hinton KD (Hinton et al., "Distilling the Knowledge in a Neural Network", 2015) on the SSD head's class
# scores per anchor: SSD160 ResNet-50 -> ResNet-18 on the easy toy set (160x160 inputs, five levels; both
# from backbones pretrained on the easy toy images).
# Points: _base_/distill/kd_ssd_r50_r18.py (`kd_points_toy_easy`).
_base_ = ['../_base_/distillers/ssd_r50_r18_toy_easy.py', '../_base_/distill/kd_ssd_r50_r18.py']

model = dict(distill_points={{_base_.kd_points_toy_easy}})
