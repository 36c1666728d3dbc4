# Hinton KD (Hinton et al., "Distilling the Knowledge in a Neural Network", 2015) on the SSD head's class
# scores per anchor: SSD300 ResNet-50 -> ResNet-18 on PASCAL VOC 07+12 (300x300).
# Points: _base_/distill/kd_ssd_r50_r18.py, shared with the toy twin.
# Teacher, trained first (OpenMMLab publishes no SSD300 ResNet-50):
#   python tools/train.py configs/ssd/ssd300_r50_voc0712.py  -> work_dirs/ssd300_r50_voc0712/epoch_24.pth
# Data: data/VOCdevkit with VOC2007 and VOC2012 (docs/data_preparation.md).
_base_ = ['../_base_/distillers/ssd_r50_r18_voc0712.py', '../_base_/distill/kd_ssd_r50_r18.py']

model = dict(distill_points={{_base_.kd_points}})
