# CrossKD (Wang et al., "CrossKD: Cross-Head Knowledge Distillation for Object Detection",
# CVPR 2024), on the RPN:
# Faster R-CNN ResNet-50 FPN -> ResNet-18 FPN on COCO 2017 (mmdet's 1x schedule of the ResNet-18 student).
# Points: _base_/distill/crosskd_faster-rcnn_r50_r18.py, shared with the toy twin; it says what the paper and the
# authors' two-stage code do and what this RPN form leaves out.
# Teacher: mmdet's published Faster R-CNN R-50 FPN 1x, downloaded on first use; nothing to train first.
# Data: data/coco with train2017, val2017 and annotations/ (docs/data_preparation.md).
_base_ = ['../_base_/distillers/faster-rcnn_r50_r18_coco.py', '../_base_/distill/crosskd_faster-rcnn_r50_r18.py']

model = dict(
    distill_points={{_base_.crosskd_points}})
