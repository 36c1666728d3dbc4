# MGD (Yang et al., "Masked Generative Distillation", ECCV 2022): SSD300 ResNet-50 -> SSDLite MobileNetV2 on
# PASCAL VOC 07+12 (300x300).
# Points: _base_/distill/mgd_ssd_r50_mbv2.py, shared with the toy twin.
# Teacher, trained first (OpenMMLab publishes no SSD300 ResNet-50):
#   python tools/train.py configs/ssd/ssd300_r50_voc0712.py  -> work_dirs/ssd300_r50_voc0712/epoch_24.pth
# Data: data/VOCdevkit with VOC2007 and VOC2012 (docs/data_preparation.md).
_base_ = ['../_base_/distillers/ssd_r50_mbv2_voc0712.py', '../_base_/distill/mgd_ssd_r50_mbv2.py']

model = dict(distill_points={{_base_.mgd_points}})
