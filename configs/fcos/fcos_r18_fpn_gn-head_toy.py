# Toy twin of fcos/fcos_r18_fpn_gn-head_1x_coco.py (student): the same FCOS ResNet-18 (pytorch style, RGB inputs
# with the ImageNet mean and std) with a GroupNorm head on the toy shapes in the COCO layout (6 classes, images
# resized to fit 533x320), from random weights, 200 iterations of batch 4 on the CPU.
_base_ = './fcos_r50-caffe_fpn_gn-head_toy.py'

# fcos_r50-caffe_fpn_gn-head_toy.py with a pytorch-style ResNet-18 (RGB inputs, ImageNet mean and std), its FPN
# reading the four stages' 64-512 channels
model = dict(
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(depth=18, style='pytorch'),
    neck=dict(in_channels=[64, 128, 256, 512]))
