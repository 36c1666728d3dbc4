# Toy twin of fcos/fcos_r18_fpn_gn-head_1x_coco.py (student): the same FCOS ResNet-18 (pytorch style, RGB inputs
# with the ImageNet mean and std) with a GroupNorm head on the toy shapes in the COCO layout (6 classes, images
# resized to fit 533x320), from random weights, 200 iterations of batch 4 on the CPU.
_base_ = [
    '../_base_/models/fcos_r50-caffe_fpn_gn-head.py', '../_base_/datasets/toy_coco_det.py',
    '../_base_/schedules/toy_det_200it.py', '../_base_/default_runtime_det_iter.py'
]

model = dict(
    data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    # from scratch, as fcos_r50-caffe_fpn_gn-head_toy.py
    backbone=dict(
        depth=18,
        style='pytorch',
        init_cfg=None,
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False),
    neck=dict(in_channels=[64, 128, 256, 512]),
    bbox_head=dict(num_classes=6))
