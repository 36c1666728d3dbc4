# CWD (Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction", ICCV 2021): SSD300 ResNet-50 ->
# SSDLite MobileNetV2 on the toy VOC detection data (300x300).
# Points: _base_/distill/cwd_ssd_r50_mbv2.py, shared with the real-dataset twin.
_base_ = ['../_base_/distillers/ssd_r50_mbv2_toy.py', '../_base_/distill/cwd_ssd_r50_mbv2.py']

model = dict(
    distill_points={{_base_.cwd_points}})
