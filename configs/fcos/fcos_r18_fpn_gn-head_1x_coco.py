# FCOS ResNet-18 FPN on COCO 2017 (student): mmdet's fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py (its data and
# 1x schedule) with an ImageNet-initialised ResNet-18 (torchvision weights: pytorch style, RGB inputs with the
# ImageNet mean and std, trainable BN in eval mode), derived as mmdet derives retinanet_r18_fpn_1x_coco.py from
# its ResNet-50 model (mmdet publishes no 1x FCOS ResNet-18). The ResNet-50 teacher reads BGR caffe-normalised
# inputs; the distiller converts the student's batch for it.
_base_ = 'mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py'

model = dict(
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        depth=18,
        norm_cfg=dict(type='BN', requires_grad=True),
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')),
    neck=dict(in_channels=[64, 128, 256, 512]))
