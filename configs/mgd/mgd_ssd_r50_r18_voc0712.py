# MGD (Yang et al., "Masked Generative Distillation", ECCV 2022): SSD300 ResNet-50 -> ResNet-18 on PASCAL VOC
# 07+12 (300x300).
# Points: _base_/distill/mgd_ssd_r50_r18.py, shared with the toy twin.
_base_ = ['../_base_/distillers/ssd_r50_r18_voc0712.py', '../_base_/distill/mgd_ssd_r50_r18.py']

model = dict(distill_points={{_base_.mgd_points}})
