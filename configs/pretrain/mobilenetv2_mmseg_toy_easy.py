# Pretrain the backbone of the DeepLabV3+ MobileNetV2 student (mmseg's MobileNetV2) on the easy toy
# classification set, standing in for the ImageNet weights (mmcls://mobilenet_v2) of the real recipe. mmseg's
# MobileNetV2 names its inverted residuals' convs `conv.0/1/2` where mmdet's (pretrain/mobilenetv2_toy_easy.py,
# the SSDLite student's) names them `expand_conv/depthwise_conv/linear_conv`, as the real recipes load two
# different ImageNet checkpoints. Data, schedule and normalisation are resnet18_v1c_toy_easy.py's; standard
# strides: 64x64 inputs give a 2x2 map after the last layer (320 channels, out index 6), which the head pools.
# The strides and dilations change no weight name or shape: deeplabv3plus/deeplabv3plus_mbv2_toy_easy.py loads
# the `backbone.` part of the checkpoint with init_cfg=dict(type='Pretrained', prefix='backbone.').
#   python tools/misc/cached_train.py configs/pretrain/mobilenetv2_mmseg_toy_easy.py \
#       --link data/toy_easy/pretrained/mobilenetv2_mmseg.pth
_base_ = './resnet18_v1c_toy_easy.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmseg.MobileNetV2',
        widen_factor=1.,
        out_indices=(6, ),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False),
    head=dict(in_channels=320))
