# FitNets (Romero et al., "FitNets: Hints for Thin Deep Nets", ICLR 2015), two stages in one run: SSD300
# ResNet-50 -> SSDLite MobileNetV2 on PASCAL VOC 07+12 (300x300).
# Stage 'hint' until end_epoch=4 (4 of the 24 epochs, ~15% of the schedule).
# Points and stages: _base_/distill/fitnets_ssd_r50_mbv2.py, shared with the toy twin.
# Teacher, trained first (OpenMMLab publishes no SSD300 ResNet-50):
#   python tools/train.py configs/ssd/ssd300_r50_voc0712.py  -> work_dirs/ssd300_r50_voc0712/epoch_24.pth
# Data: data/VOCdevkit with VOC2007 and VOC2012 (docs/data_preparation.md).
_base_ = ['../_base_/distillers/ssd_r50_mbv2_voc0712.py', '../_base_/distill/fitnets_ssd_r50_mbv2.py']

model = dict(
    distill_points={{_base_.fitnets_points}},
    stages={{_base_.fitnets_stages.voc0712}})

find_unused_parameters = True
