# Toy twin of mmdet's retinanet/retinanet_r18_fpn_1x_coco.py (student): the same RetinaNet ResNet-18 FPN on
# the toy shapes in the COCO layout (6 classes, images resized to fit 533x320), from random weights,
# 200 iterations of batch 4 on the CPU.
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py', '../_base_/datasets/toy_coco_det.py',
    '../_base_/schedules/toy_det_200it.py', '../_base_/default_runtime_det_iter.py'
]

model = dict(
    # from scratch, as retinanet_r50_fpn_toy.py; mmdet's ResNet-18 FPN reads the four stages' 64-512 channels
    backbone=dict(depth=18, init_cfg=None, frozen_stages=-1, norm_eval=False),
    neck=dict(in_channels=[64, 128, 256, 512]),
    bbox_head=dict(num_classes=6))
