# Hinton KD (Hinton et al., "Distilling the Knowledge in a Neural Network", 2015) on the SSD head's class
# scores per anchor: SSD300 ResNet-50 -> ResNet-18 on the toy VOC detection data (300x300).
# Points: _base_/distill/kd_ssd_r50_r18.py, shared with the real-dataset twin.
_base_ = ['../_base_/distillers/ssd_r50_r18_toy.py', '../_base_/distill/kd_ssd_r50_r18.py']

model = dict(distill_points={{_base_.kd_points_toy}})
