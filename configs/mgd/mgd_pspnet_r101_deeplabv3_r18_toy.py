# MGD (Yang et al., "Masked Generative Distillation", ECCV 2022):
# PSPNet ResNet-101-D8 -> DeepLabV3 ResNet-18-D8 on the toy shapes in the Cityscapes layout (128x256 crops, 200
# iterations of batch 4).
# Points: _base_/distill/mgd_pspnet_r101_deeplabv3_r18.py, shared with the Cityscapes twin.
# Teacher, trained first: python tools/train.py configs/pspnet/pspnet_r101_toy.py
_base_ = [
    '../_base_/distillers/pspnet_r101_deeplabv3_r18_toy.py',
    '../_base_/distill/mgd_pspnet_r101_deeplabv3_r18.py'
]

model = dict(
    distill_points={{_base_.mgd_points}})
