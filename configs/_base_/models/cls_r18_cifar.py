# ResNet-18 image classifier for 32x32 inputs: the ResNet-50 one (same stem, strides and head) with
# basic blocks, so the last stage has 512 channels instead of 2048.
_base_ = './cls_r50_cifar.py'

model = dict(backbone=dict(depth=18), head=dict(in_channels=512))
