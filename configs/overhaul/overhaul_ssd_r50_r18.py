# Overhaul feature distillation (OFD; Heo et al., ICCV 2019): SSD300 ResNet-50 teacher -> SSD300
# ResNet-18 student on PASCAL VOC 07+12. Data, schedule and runtime are the student's
# (ssd/ssd300_r18_voc0712.py); the OFD points are in _base_/distill/ofd_ssd_r50_r18.py.
# Teacher, trained first (OpenMMLab publishes no SSD300 ResNet-50):
#   python tools/train.py configs/ssd/ssd300_r50_voc0712.py  -> work_dirs/ssd300_r50_voc0712/epoch_24.pth
# Data: data/VOCdevkit with VOC2007 and VOC2012 (docs/data_preparation.md).
_base_ = ['../_base_/distillers/ssd_r50_r18_voc0712.py', '../_base_/distill/ofd_ssd_r50_r18.py']

# teacher BN uses batch statistics, as the paper prescribes; its running statistics stay untouched
model = dict(teacher_bn='train', distill_points={{_base_.ofd_points}})
