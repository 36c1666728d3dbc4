# FBKD (Zhang & Ma, "Improve Object Detection with Feature-based Knowledge Distillation: Towards
# Accurate and Efficient Detectors", ICLR 2021):
# Faster R-CNN ResNet-50 FPN -> ResNet-18 FPN on COCO 2017 (mmdet's 1x schedule).
# Points: _base_/distill/fbkd_faster-rcnn_r50_r18.py, shared with the toy twin.
# Teacher: mmdet's published Faster R-CNN R-50 FPN 1x, downloaded on first use; nothing to train first.
# Data: data/coco with train2017, val2017 and annotations/ (docs/data_preparation.md).
_base_ = ['../_base_/distillers/faster-rcnn_r50_r18_coco.py', '../_base_/distill/fbkd_faster-rcnn_r50_r18.py']

model = dict(
    distill_points={{_base_.fbkd_points}})
