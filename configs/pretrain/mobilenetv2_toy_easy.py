# Pretrain the backbone of the SSDLite MobileNetV2 student (mmdet's MobileNetV2, as
# configs/_base_/models/ssdlite_mbv2.py builds it) on the easy toy classification set, standing in for the
# ImageNet weights (open-mmlab://mmdet/mobilenet_v2) of the real recipe; data, schedule and normalisation
# are resnet18_v1c_toy_easy.py's. Standard strides: 64x64 inputs give a 2x2 map after the last 1x1 conv
# (1280 channels, out index 7), which the head pools. The out indices and BN momentum change no weight
# name or shape: ssd/ssdlite_mbv2_toy_easy.py loads the `backbone.` part of the checkpoint with
# init_cfg=dict(type='Pretrained', prefix='backbone.').
#   python tools/misc/cached_train.py configs/pretrain/mobilenetv2_toy_easy.py \
#       --link data/toy_easy/pretrained/mobilenetv2.pth
_base_ = './resnet18_v1c_toy_easy.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmdet.MobileNetV2',
        widen_factor=1.0,
        out_indices=(7, ),
        # SSDLite's TensorFlow-style BN, so the running statistics are those the detector normalises with
        norm_cfg=dict(type='BN', eps=0.001, momentum=0.03),
        norm_eval=False),
    head=dict(in_channels=1280))
