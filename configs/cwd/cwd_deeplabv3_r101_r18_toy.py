# CWD (Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction", ICCV 2021):
# DeepLabV3 ResNet-101-D8 -> ResNet-18-D8 on the toy shapes in the Cityscapes layout (128x256 crops, 200
# iterations of batch 4).
# Points: _base_/distill/cwd_deeplabv3_r101_r18.py, shared with the Cityscapes twin.
# Teacher, trained first: python tools/train.py configs/deeplabv3/deeplabv3_r101_toy.py
_base_ = ['../_base_/distillers/deeplabv3_r101_r18_toy.py', '../_base_/distill/cwd_deeplabv3_r101_r18.py']

model = dict(
    distill_points={{_base_.cwd_points}})
