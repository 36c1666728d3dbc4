# SSDLite with a MobileNetV2 backbone, mmdet's own detector (ssd/ssdlite_mobilenetv2-scratch_8xb24-600e_coco.py):
# MobileNetV2 feeds the neck its stride-16 96-channel map (layer 5's output, out index 4) and its stride-32
# 1280-channel last 1x1 conv (out index 7); the neck appends four extra levels of depthwise separable
# convolutions with BN and ReLU6, and the head predicts with depthwise separable convolutions too.
# Everything but the input size and the anchors is that config's model
# (tests/test_configs/test_ssdlite_mbv2.py checks it).
# Dataset-agnostic, like mmdet's model bases (80 classes until a leaf config sets num_classes).
#
# Input size: 300x300, not SSDLite's 320. The students here are distilled from SSD300 teachers, whose
# features are taken at 300 px; at 300 the MobileNetV2 stages have exactly the teacher's spatial sizes
# (75, 38 and 19 px at strides 4, 8 and 16), and every VOC SSD config here shares one data pipeline. The six
# maps are then 19, 10, 5, 3, 2 and 1 px (strides 16, 32, 64, 100, 150, 300), and the anchors are sized by
# the SSD300 VOC rule (basesize_ratio_range 0.2-0.9 of 300 px, the teachers' anchor sizes) with SSDLite's
# aspect ratios (2 and 3 at every level).
_base_ = 'mmdet::_base_/models/ssd300.py'

# mmdet's SSDLite normalisation: ImageNet mean and std on RGB inputs
data_preprocessor = dict(
    type='DetDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_size_divisor=1)
# the TensorFlow-style BN of mmdet's SSDLite, shared by backbone, neck and head
norm_cfg = dict(type='BN', eps=0.001, momentum=0.03)

model = dict(
    data_preprocessor=data_preprocessor,
    backbone=dict(
        _delete_=True,
        type='MobileNetV2',
        out_indices=(4, 7),
        norm_cfg=norm_cfg,
        init_cfg=dict(type='TruncNormal', layer='Conv2d', std=0.03)),
    neck=dict(
        in_channels=(96, 1280),
        out_channels=(96, 1280, 512, 256, 256, 128),
        level_strides=(2, 2, 2, 2),
        level_paddings=(1, 1, 1, 1),
        l2_norm_scale=None,
        use_depthwise=True,
        norm_cfg=norm_cfg,
        act_cfg=dict(type='ReLU6'),
        init_cfg=dict(type='TruncNormal', layer='Conv2d', std=0.03)),
    bbox_head=dict(
        in_channels=(96, 1280, 512, 256, 256, 128),
        use_depthwise=True,
        norm_cfg=norm_cfg,
        act_cfg=dict(type='ReLU6'),
        init_cfg=dict(type='Normal', layer='Conv2d', std=0.001),
        anchor_generator=dict(
            type='SSDAnchorGenerator',
            scale_major=False,
            input_size=300,
            basesize_ratio_range=(0.2, 0.9),
            strides=[16, 32, 64, 100, 150, 300],
            ratios=[[2, 3], [2, 3], [2, 3], [2, 3], [2, 3], [2, 3]])))
