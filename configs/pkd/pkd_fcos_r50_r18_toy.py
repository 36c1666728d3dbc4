# PKD (Cao et al., "PKD: General Distillation Framework for Object Detectors via Pearson Correlation
# Coefficient", NeurIPS 2022):
# FCOS ResNet-50 FPN -> ResNet-18 FPN on the toy shapes in the COCO layout (images resized to fit 533x320,
# 200 iterations of batch 4).
# Points: _base_/distill/pkd_fcos_r50_r18.py, shared with the COCO twin.
# Teacher, trained first: python tools/train.py configs/fcos/fcos_r50-caffe_fpn_gn-head_toy.py
_base_ = ['../_base_/distillers/fcos_r50_r18_toy.py', '../_base_/distill/pkd_fcos_r50_r18.py']

model = dict(
    distill_points={{_base_.pkd_points}})
