# CrossKD (Wang et al., "CrossKD: Cross-Head Knowledge Distillation for Object Detection",
# CVPR 2024):
# GFL ResNet-101 FPN -> ResNet-50 FPN on COCO 2017 (mmdet's 1x schedule of the ResNet-50 student).
# Points: _base_/distill/crosskd_gfl_r101_r50.py, shared with the toy twin.
# Teacher: mmdet's published GFL R-101 FPN multi-scale 2x, downloaded on first use; nothing to train first.
# Data: data/coco with train2017, val2017 and annotations/ (docs/data_preparation.md).
_base_ = ['../_base_/distillers/gfl_r101_r50_coco.py', '../_base_/distill/crosskd_gfl_r101_r50.py']

model = dict(
    distill_points={{_base_.crosskd_points}})
