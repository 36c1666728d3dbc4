# PKD (Cao et al., "PKD: General Distillation Framework for Object Detectors via Pearson Correlation
# Coefficient", NeurIPS 2022):
# RetinaNet ResNet-50 FPN -> ResNet-18 FPN on the easy toy set in the COCO layout (128-160 px images resized
# to fit 267x160, FPN levels of about 20, 10, 5, 3, 2 px; both from backbones pretrained on the easy toy
# images). Points: _base_/distill/pkd_retinanet_r50_r18.py (the toy and COCO twins' points and weights).
_base_ = ['../_base_/distillers/retinanet_r50_r18_toy_easy.py', '../_base_/distill/pkd_retinanet_r50_r18.py']

model = dict(distill_points={{_base_.pkd_points}})
