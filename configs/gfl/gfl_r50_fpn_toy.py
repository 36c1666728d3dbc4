# Toy twin of mmdet's gfl/gfl_r50_fpn_1x_coco.py (student): the same GFL ResNet-50 FPN on the toy shapes in the
# COCO layout (6 classes, images resized to fit 533x320), from random weights, 200 iterations of batch 4 on the
# CPU.
_base_ = [
    '../_base_/models/gfl_r50_fpn.py', '../_base_/datasets/toy_coco_det.py',
    '../_base_/schedules/toy_det_200it.py', '../_base_/default_runtime_det_iter.py'
]

model = dict(
    # From scratch: nothing to download, every stage trains, and BN keeps updating its statistics
    # (frozen stages and eval-mode BN only make sense on top of pretrained weights).
    backbone=dict(init_cfg=None, frozen_stages=-1, norm_eval=False),
    bbox_head=dict(num_classes=6))
