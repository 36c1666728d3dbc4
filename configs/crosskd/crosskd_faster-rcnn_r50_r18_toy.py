# CrossKD (Wang et al., "CrossKD: Cross-Head Knowledge Distillation for Object Detection",
# CVPR 2024), on the RPN:
# Faster R-CNN ResNet-50 FPN -> ResNet-18 FPN on the toy shapes in the COCO layout (images resized to fit
# 533x320, 200 iterations of batch 4).
# Points: _base_/distill/crosskd_faster-rcnn_r50_r18.py, shared with the COCO twin; it says what the paper and the
# authors' two-stage code do and what this RPN form leaves out.
# Teacher, trained first: python tools/train.py configs/faster_rcnn/faster-rcnn_r50_fpn_toy.py
_base_ = ['../_base_/distillers/faster-rcnn_r50_r18_toy.py', '../_base_/distill/crosskd_faster-rcnn_r50_r18.py']

model = dict(
    distill_points={{_base_.crosskd_points}})
