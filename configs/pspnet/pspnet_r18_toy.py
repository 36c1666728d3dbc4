# Toy twin of mmseg's pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py (student): the same PSPNet
# ResNet-18-V1c model (mmseg's ResNet-18 head widths) on the toy shapes in the Cityscapes layout (7 classes
# incl. background), 128x256 crops, batch 4, 200 iterations on the CPU, from random weights, at output
# stride 16 (stage 4 dilated only) instead of 8, as the DeepLabV3+ toy twins, and with the background class
# weighed down in the cross-entropy (`class_weight` of the toy dataset base).
_base_ = './pspnet_r101_toy.py'

# pspnet_r101_toy.py with mmseg's ResNet-18 depth and head widths
model = dict(
    backbone=dict(depth=18),
    decode_head=dict(in_channels=512, channels=128),
    auxiliary_head=dict(in_channels=256, channels=64))
