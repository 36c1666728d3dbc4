# SSDLite MobileNetV2 at 160x160 on the easy toy set: the model of ssdlite_mbv2_toy.py with the data,
# schedule and runtime of ssd160_r18_toy_easy.py / ssd160_r50_toy_easy.py, starting from a MobileNetV2
# pretrained on the easy toy classification images (the real recipe's open-mmlab://mmdet/mobilenet_v2).
# BN keeps training, as in the SSD160 ResNets.
#
# Levels at 160 px: the backbone gives 10 px (stride 16, 96 channels) and 5 px (stride 32, 1280 channels);
# SSDLite's extra levels (3x3 depthwise convs, stride 2, padding 1) halve with rounding up: 3, 2, 1 px. A
# fourth would be 1 px again, so the neck keeps three extra levels -- five levels, 10, 5, 3, 2, 1 px, as
# SSD160 has five where SSD300 has six. Anchor strides are input / side rounded (16, 32, 53, 80, 160), so each
# grid spans the image with its centres in its cells; anchor sizes are the SSD160 teacher's (10% to 100% of
# the input side per level) with SSDLite's aspect ratios (2 and 3 at every level), as the 300 px student
# takes the SSD300 teacher's sizes. The backbone features the OFD points record (strides 4, 8, 16) are 40,
# 20 and 10 px, the SSD160 ResNet-50 teacher's stage sizes. Make the data and the weights first:
#   python tools/misc/make_toy_data.py --profile easy
#   python tools/misc/cached_train.py configs/pretrain/mobilenetv2_toy_easy.py \
#       --link data/toy_easy/pretrained/mobilenetv2.pth
_base_ = [
    '../_base_/models/ssdlite_mbv2.py', '../_base_/datasets/toy_easy_voc_det.py',
    '../_base_/schedules/toy_det_200it.py', '../_base_/default_runtime_det_iter.py'
]

input_size = 160  # the side of configs/_base_/datasets/toy_easy_voc_det.py's image_scale
model = dict(
    backbone=dict(
        init_cfg=dict(
            _delete_=True,
            type='Pretrained',
            checkpoint='data/toy_easy/pretrained/mobilenetv2.pth',
            prefix='backbone.')),
    neck=dict(
        out_channels=(96, 1280, 512, 256, 256), level_strides=(2, 2, 2), level_paddings=(1, 1, 1)),
    bbox_head=dict(
        in_channels=(96, 1280, 512, 256, 256),
        num_classes=6,
        anchor_generator=dict(
            input_size=input_size,
            strides=[16, 32, 53, 80, 160],
            ratios=[[2, 3]] * 5,
            min_sizes=[16, 40, 64, 96, 128],
            max_sizes=[40, 64, 96, 128, 160],
            basesize_ratio_range=None)))
