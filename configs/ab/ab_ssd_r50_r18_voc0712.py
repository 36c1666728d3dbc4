# AB (Heo et al., "Knowledge Transfer via Distillation of Activation Boundaries Formed by Hidden Neurons",
# AAAI 2019): SSD300 ResNet-50 -> ResNet-18 on PASCAL VOC 07+12 (300x300).
# Stage 'ab' until end_epoch=4 (4 of the 24 epochs, ~15% of the schedule).
# Points and stages: _base_/distill/ab_ssd_r50_r18.py, shared with the toy twin.
# Teacher, trained first (OpenMMLab publishes no SSD300 ResNet-50):
#   python tools/train.py configs/ssd/ssd300_r50_voc0712.py  -> work_dirs/ssd300_r50_voc0712/epoch_24.pth
# Data: data/VOCdevkit with VOC2007 and VOC2012 (docs/data_preparation.md).
_base_ = ['../_base_/distillers/ssd_r50_r18_voc0712.py', '../_base_/distill/ab_ssd_r50_r18.py']

model = dict(
    distill_points={{_base_.ab_points}},
    stages={{_base_.ab_stages.voc0712}})

find_unused_parameters = True
