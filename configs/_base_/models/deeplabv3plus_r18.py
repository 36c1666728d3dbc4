# DeepLabV3+ with a dilated ResNet-18-V1c (output stride 8), with mmseg's ResNet-18 head widths (from
# deeplabv3plus_r18-d8_4xb2-80k_cityscapes-512x1024.py): basic blocks give 64/128/256/512 stage channels,
# so the low-level (c1) input is 64 channels, the ASPP input 512, the auxiliary FCN input (stage 3) 256,
# and the heads are narrowed accordingly. ImageNet-pretrained weights (open-mmlab://resnet18_v1c) are
# downloaded on first use.
_base_ = 'mmseg::_base_/models/deeplabv3plus_r50-d8.py'

model = dict(
    pretrained='open-mmlab://resnet18_v1c',
    backbone=dict(depth=18),
    decode_head=dict(c1_in_channels=64, c1_channels=12, in_channels=512, channels=128),
    auxiliary_head=dict(in_channels=256, channels=64))
