# DeepLabV3+ with a dilated MobileNetV2 (output stride 8), as mmseg's
# mobilenet_v2/mobilenet-v2-d8_deeplabv3plus_* configs: the last four inverted-residual layers keep
# stride 1 and dilate instead; outputs of layers 1, 2, 4 and 6 (24, 32, 96, 320 channels) feed the
# low-level branch (24), the auxiliary head (96) and ASPP (320). ImageNet-pretrained weights
# (mmcls://mobilenet_v2) are downloaded on first use.
_base_ = 'mmseg::_base_/models/deeplabv3plus_r50-d8.py'

model = dict(
    pretrained='mmcls://mobilenet_v2',
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        widen_factor=1.,
        strides=(1, 2, 2, 1, 1, 1, 1),
        dilations=(1, 1, 1, 2, 2, 4, 4),
        out_indices=(1, 2, 4, 6),
        norm_cfg=dict(type='SyncBN', requires_grad=True)),
    decode_head=dict(in_channels=320, c1_in_channels=24),
    auxiliary_head=dict(in_channels=96))
