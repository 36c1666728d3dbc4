# CrossKD (Wang et al., "CrossKD: Cross-Head Knowledge Distillation for Object Detection",
# CVPR 2024):
# GFL ResNet-101 FPN -> ResNet-50 FPN on the toy shapes in the COCO layout (images resized to fit
# 533x320, 200 iterations of batch 4).
# Points: _base_/distill/crosskd_gfl_r101_r50.py, shared with the COCO twin.
# Teacher, trained first: python tools/train.py configs/gfl/gfl_r101_fpn_toy.py
_base_ = ['../_base_/distillers/gfl_r101_r50_toy.py', '../_base_/distill/crosskd_gfl_r101_r50.py']

model = dict(
    distill_points={{_base_.crosskd_points}})
