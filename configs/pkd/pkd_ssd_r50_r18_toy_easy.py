# PKD (Cao et al., "PKD: General Distillation Framework for Object Detectors via Pearson Correlation
# Coefficient", NeurIPS 2022): SSD160 ResNet-50 -> ResNet-18 on the easy toy set (160x160 inputs, SSD160:
# backbone maps 40, 20, 10 px, neck levels 20, 10, 5, 3, 1 px; both from backbones pretrained on the easy toy
# images). Points: _base_/distill/pkd_ssd_r50_r18.py (`pkd_points_toy_easy`).
_base_ = ['../_base_/distillers/ssd_r50_r18_toy_easy.py', '../_base_/distill/pkd_ssd_r50_r18.py']

model = dict(distill_points={{_base_.pkd_points_toy_easy}})
