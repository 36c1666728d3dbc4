# CWD (Shu et al., "Channel-wise Knowledge Distillation for Dense Prediction", ICCV 2021):
# GFL ResNet-101 FPN -> ResNet-50 FPN on COCO 2017 (mmdet's 1x schedule of the ResNet-50 student).
# Points: _base_/distill/cwd_gfl_r101_r50.py, shared with the toy twin.
# Teacher: mmdet's published GFL R-101 FPN multi-scale 2x, downloaded on first use; nothing to train first.
# Data: data/coco with train2017, val2017 and annotations/ (docs/data_preparation.md).
_base_ = ['../_base_/distillers/gfl_r101_r50_coco.py', '../_base_/distill/cwd_gfl_r101_r50.py']

model = dict(
    distill_points={{_base_.cwd_points}})
