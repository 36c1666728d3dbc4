# PKD (Cao et al., "PKD: General Distillation Framework for Object Detectors via Pearson Correlation
# Coefficient", NeurIPS 2022):
# FCOS ResNet-50 FPN -> ResNet-18 FPN on COCO 2017 (mmdet's FCOS 1x schedule of the ResNet-18 student).
# Points: _base_/distill/pkd_fcos_r50_r18.py, shared with the toy twin.
# Teacher: mmdet's published FCOS R-50 caffe FPN GN-head 1x, downloaded on first use; nothing to train first.
# Data: data/coco with train2017, val2017 and annotations/ (docs/data_preparation.md).
_base_ = ['../_base_/distillers/fcos_r50_r18_coco.py', '../_base_/distill/pkd_fcos_r50_r18.py']

model = dict(
    distill_points={{_base_.pkd_points}})
