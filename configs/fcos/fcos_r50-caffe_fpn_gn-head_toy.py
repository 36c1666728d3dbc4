# Toy twin of mmdet's fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py (teacher): the same FCOS ResNet-50 (caffe style:
# BGR inputs, caffe means, std 1) with a GroupNorm head on the toy shapes in the COCO layout (6 classes, images
# resized to fit 533x320), from random weights, 200 iterations of batch 4 on the CPU.
_base_ = [
    '../_base_/models/fcos_r50-caffe_fpn_gn-head.py', '../_base_/datasets/toy_coco_det.py',
    '../_base_/schedules/toy_det_200it.py', '../_base_/default_runtime_det_iter.py'
]

model = dict(
    # From scratch: nothing to download, every stage and every BN trains, and BN keeps updating its statistics
    # (frozen stages and frozen eval-mode BN only make sense on top of pretrained weights).
    backbone=dict(init_cfg=None, frozen_stages=-1, norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False),
    bbox_head=dict(num_classes=6))
