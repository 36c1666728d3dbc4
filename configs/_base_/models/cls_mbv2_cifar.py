# MobileNetV2 (Sandler et al., CVPR 2018) image classifier for 32x32 inputs, trained from scratch.
_base_ = './cls_r50_cifar.py'

# mmseg's MobileNetV2, because it takes per-layer strides (mmdet's fixes them to an overall stride of
# 32, i.e. a 1x1 last map at 32 px). Its first conv always has stride 2; layers 1-7 use strides
# (1, 1, 1, 2, 1, 2, 1) instead of ImageNet's (1, 2, 2, 2, 1, 2, 1), so the maps are 16, 16, 16, 8, 8,
# 4, 4 px and the last is 4x4 as in the CIFAR ResNets. It has no final 1x1 conv to 1280 channels: the
# head pools layer 7's 320 channels. Outputs: the last layer at each resolution (32, 96, 320 channels).
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmseg.MobileNetV2',
        widen_factor=1.,
        strides=(1, 1, 1, 2, 1, 2, 1),
        dilations=(1, 1, 1, 1, 1, 1, 1),
        out_indices=(2, 4, 6),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    head=dict(in_channels=320))
